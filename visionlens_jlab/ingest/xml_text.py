"""The head of an XML file as text, whatever encoding wrote it, for the checks made before
parsing (which root element, a DTD): XML saved as UTF-16 (Windows tools, .NET's default)
holds every ASCII character as two bytes, so a test on its raw bytes misses ``<annotations``
and ``<!DOCTYPE`` alike; and what to say when a file's bytes are not the encoding its
declaration names."""

from __future__ import annotations

import codecs
import re

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def xml_text(data: bytes) -> str:
    """``data`` (the first bytes of an XML file) as text, without a byte-order mark: UTF-16
    by its byte-order mark (a character cut at the end is left out), else Latin-1, which
    maps each byte to one character, so that the markup (ASCII in UTF-8 and the 8-bit
    encodings alike) reads as itself."""
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="ignore")
    return data.removeprefix(codecs.BOM_UTF8).decode("latin-1")


_DECLARED = re.compile(r"""^<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def encoding_hint(path: str) -> str:
    """What to do when XML file ``path`` failed to parse because its bytes are not the UTF-8
    its declaration names or implies (no ``encoding``: UTF-8), as a file saved by an editor
    in Latin-1 or Windows-1252 is: a sentence to add to the parse error, else nothing."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
            if head.startswith(_UTF16_BOMS):
                return ""
            declared = _DECLARED.match(xml_text(head).lstrip())
            if declared and codecs.lookup(declared.group(1)).name != "utf-8":
                return ""
            f.seek(0)
            decoder = codecs.getincrementaldecoder("utf-8")()
            for chunk in iter(lambda: f.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except (OSError, LookupError):
        return ""
    except UnicodeDecodeError:
        return (
            " (its bytes are not UTF-8, the encoding its XML declaration names or implies: "
            "save it as UTF-8, or declare the encoding it was saved in, e.g. "
            '<?xml version="1.0" encoding="ISO-8859-1"?>)'
        )
    return ""
