"""A live link between a notebook kernel and the VisionLens panels of JupyterLab.

The kernel opens a comm (target ``visionlens``) per session; the lab extension's bridge
answers, applies what Python sets (selection, filter) to the shared model that every panel
shows, and sends back every change the user makes. The kernel only processes comm messages
between cells, so setters update the local state at once (after validating against the
server, so both sides hold the same ids) and the frontend's echo confirms them.
"""

from __future__ import annotations

import traceback
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..int_unique import unique_ints
from ..rest_client import VisionLensError
from . import protocol as P
from .bodies import Filter, filter_body
from .dataset import Dataset
from .dataset import dataset as _dataset

SelectCallback = Callable[[list[int]], Any]
SelectionLike = Iterable[int] | np.ndarray | pd.Series | pd.DataFrame | Mapping[str, Any] | None


def open(dataset: Dataset | str, *, show: bool = True) -> Session:
    """Open ``dataset`` in the VisionLens panels and return the live :class:`Session`."""
    ds = _dataset(dataset) if isinstance(dataset, str) else dataset
    if not isinstance(ds, Dataset):
        raise VisionLensError("vl.open() needs a dataset name or vl.dataset(name)")
    return Session(ds, show=show)


class Session:
    """The panels' selection and filter for one dataset, readable and settable from Python."""

    def __init__(self, dataset: Dataset, *, show: bool = True, _comm: Any = None) -> None:
        self.dataset = dataset
        self.id = uuid.uuid4().hex
        self._ids = np.empty(0, dtype=np.int64)
        self._view: dict[str, Any] | None = None
        self._callbacks: list[SelectCallback] = []
        self._pending: set[str] = set()
        self._last_select: str | None = None
        self.frontend: dict[str, Any] | None = None
        """What the frontend said in its ``hello`` (``None`` until it answered)."""
        self.shown_dataset: str | None = None
        """The dataset the panels show now (as last reported)."""
        self.last_error: str | None = None
        self.closed = False
        self._display_id = f"visionlens-session-{self.id}"
        self._displayed: str | None = None  # the status text last put into the cell(s)
        self._comm = (
            _comm
            if _comm is not None
            else _create_comm(
                P.message("hello", session=self.id, dataset=dataset.name, open=bool(show))
            )
        )
        self._comm.on_msg(self._on_msg)
        self._comm.on_close(self._on_close)

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("connected" if self.frontend else "waiting")
        return (
            f"<Session {self.dataset.name!r} ({state}): {len(self._ids)} selected, "
            f"view={self._view!r}>"
        )

    def _ipython_display_(self) -> None:
        """Show the session in the cell as a status line that follows the link.

        The cell runs before the lab has answered, so a snapshot would always say "opening";
        the line is a display with an id that :meth:`_refresh_display` updates once the lab
        has attached and whenever what the panels show changes. Plain text only: the dataset
        name is user content.
        """
        from IPython.display import display

        self._displayed = self.status()
        display({"text/plain": self._displayed}, raw=True, display_id=self._display_id)

    def status(self) -> str:
        """What the session's cell output says: where the dataset is shown, selection, filter."""
        name = self.dataset.name
        head = f"VisionLens: {name!r} ({self.dataset.num_samples:,} samples)"
        if self.closed:
            return (
                f"{head}: this session is closed (the panels went away, or VisionLens is not "
                f"enabled in this JupyterLab); vl.open({name!r}) opens a new one"
            )
        if self.frontend is None:
            return f"{head}: opening in the VisionLens grid beside this notebook…"
        if self.shown_dataset != name:
            return (
                f"{head}: the panels show {self.shown_dataset!r} now; session.show() brings "
                f"{name!r} back beside this notebook"
            )
        filtered = ", filtered (session.view)" if self._view else ""
        return (
            f"{head} is open in the VisionLens grid beside this notebook: "
            f"{len(self._ids):,} selected{filtered}\n"
            "session.selected, .selection(), .select(ids), .filter({...}), .show()"
        )

    # ------------------------------------------------------------------------------ reads

    @property
    def selected(self) -> list[int]:
        """Sample ids selected in the panels (as of the last message; updates between cells)."""
        return self._ids.tolist()

    @property
    def selected_ids(self) -> np.ndarray:
        """:attr:`selected` as a sorted int64 array (cheap for large selections)."""
        return self._ids.copy()

    @property
    def view(self) -> dict[str, Any] | None:
        """The panels' current filter (REST filter JSON), ``None`` when unfiltered."""
        return self._view

    @view.setter
    def view(self, spec: Filter | None) -> None:
        self.filter(spec)

    def selection(self) -> pd.DataFrame:
        """The selected samples as a DataFrame (see :meth:`Dataset.samples`)."""
        return self.dataset.samples(self._ids_filter())

    def selected_annotations(
        self, source: str | None = None, evaluation: str | None = None
    ) -> pd.DataFrame:
        """The boxes of the selected samples, with evaluation status (see
        :meth:`Dataset.annotations`)."""
        return self.dataset.annotations(self._ids_filter(), source=source, evaluation=evaluation)

    def _ids_filter(self) -> dict[str, Any]:
        return {"ids": self._ids.tolist()}

    # ----------------------------------------------------------------------------- writes

    def select(self, what: SelectionLike = None, *, mode: str = "replace") -> int:
        """Select samples in every panel; returns how many are selected now.

        ``what``: sample ids (list, set, array, Series), a DataFrame with a ``sample_id``
        column (from :meth:`Dataset.samples`, :meth:`selection`, annotations...), a filter
        dict (every matching sample), or ``None``/``[]`` to clear. ``mode``: ``"replace"``,
        ``"add"`` or ``"remove"``.
        """
        if mode not in ("replace", "add", "remove"):
            raise VisionLensError("mode must be 'replace', 'add' or 'remove'")
        ids = self._resolve(what)
        if mode == "add":
            ids = np.union1d(self._ids, ids)
        elif mode == "remove":
            ids = np.setdiff1d(self._ids, ids)
        array, wire = P.encode_ids(ids)
        msg = P.message("select", dataset=self.dataset.name, count=len(array))
        self._send(msg, [wire])
        self._last_select = msg["id"]
        self._ids = array
        return len(array)

    def clear(self) -> None:
        """Clear the selection in every panel."""
        self.select(None)

    def filter(self, spec: Filter | None = None) -> int:
        """Set the panels' filter (``None`` clears it); returns how many samples match."""
        plain = filter_body(spec)
        count = self.dataset.count(plain)  # the server validates the filter first
        self._send(P.message("filter", dataset=self.dataset.name, filter=plain))
        self._view = plain or None
        return count

    def show(self) -> None:
        """Show the grid on this session's dataset beside the notebook, and its status in the
        cell (FiftyOne's ``session.show()``); the notebook keeps the focus."""
        self._send(P.message("request", method="open", params={"dataset": self.dataset.name}))
        self._ipython_display_()

    def on_select(self, callback: SelectCallback, *, remove: bool = False) -> None:
        """Call ``callback(selected_ids)`` whenever the selection changes in the panels."""
        if remove:
            self._callbacks = [cb for cb in self._callbacks if cb is not callback]
        elif callback not in self._callbacks:
            self._callbacks.append(callback)

    def close(self) -> None:
        """Close the link; the panels keep their state."""
        if not self.closed:
            self.closed = True
            self._comm.close()
            self._refresh_display()

    # -------------------------------------------------------------------------- internals

    def _resolve(self, what: SelectionLike) -> np.ndarray:
        if what is None:
            return np.empty(0, dtype=np.int64)
        if isinstance(what, Mapping):
            return self.dataset.ids(what)
        if isinstance(what, pd.DataFrame):
            if "sample_id" not in what:
                raise VisionLensError("a DataFrame to select needs a 'sample_id' column")
            what = what["sample_id"]
        try:
            values = np.atleast_1d(
                np.asarray(list(what) if isinstance(what, set | frozenset) else what, np.int64)
            )
        except (TypeError, ValueError):
            raise VisionLensError(
                "select() takes sample ids, a DataFrame with 'sample_id', a filter dict or None"
            ) from None
        if values.ndim != 1:
            raise VisionLensError("select() takes a flat list of sample ids")
        ids = unique_ints(values)
        if len(ids):
            # Only ids of this dataset: the panels would drop others and the counts would
            # differ. The dataset's id list comes as Arrow (800 KB per 100K samples).
            missing = ids[~np.isin(ids, self.dataset.ids())]
            if len(missing):
                raise VisionLensError(
                    f"{len(missing)} of the {len(ids)} ids are not samples of dataset "
                    f"{self.dataset.name!r} (e.g. {missing[:5].tolist()})"
                )
        return ids

    def _send(self, msg: P.KernelMessage, buffers: list[Any] | None = None) -> None:
        if self.closed:
            raise VisionLensError(
                "this session is closed (the panels went away or the VisionLens extension "
                f"is not enabled in this JupyterLab); open a new one: vl.open({self.dataset.name!r})"
            )
        self._pending.add(msg["id"])
        self._comm.send(data=msg, buffers=buffers)

    def _on_msg(self, msg: dict[str, Any]) -> None:
        content = msg.get("content", {})
        try:
            data = P.check(content.get("data"))
            self._handle(data, msg.get("buffers") or [])
        except P.ProtocolError as exc:
            self.last_error = str(exc)
            reply_to = _get_id(content.get("data"))
            self._comm.send(
                data=P.message(
                    "error",
                    message=str(exc),
                    reply_to=reply_to if isinstance(reply_to, str) else None,
                )
            )
            warnings.warn(f"VisionLens: {exc}", stacklevel=1)
        except VisionLensError as exc:  # e.g. the server went away while resolving a filter
            self.last_error = str(exc)
            warnings.warn(f"VisionLens: {exc}", stacklevel=1)

    def _handle(self, data: P.FrontendMessage, buffers: list[Any]) -> None:
        reply_to = data.get("reply_to")
        own = reply_to is not None and reply_to in self._pending
        self._pending.discard(reply_to or "")
        if data["type"] == "hello":
            self.frontend = dict(data)
            self.shown_dataset = data.get("shown", self.shown_dataset)
            if data.get("resume"):  # a reloaded page re-attaches: tell it who we are
                self._comm.send(
                    data=P.message(
                        "hello",
                        session=self.id,
                        dataset=self.dataset.name,
                        open=False,
                        reply_to=data.get("id"),
                    )
                )
        elif data["type"] == "selection":
            if data.get("dataset") != self.dataset.name:
                return
            everything = data.get("filter")
            if everything is not None and not buffers:
                # "every sample matching the filter" (select-all): resolved through the
                # server as Arrow, so huge selections never cross the comm as a list.
                ids = self.dataset.ids(everything)
            else:
                ids = unique_ints(P.decode_ids(buffers, data.get("count")))
            if own and reply_to != self._last_select:
                return  # the echo of an older select(); a newer one is on its way
            changed = not np.array_equal(ids, self._ids)
            self._ids = ids
            if changed and not own:
                self._notify()
        elif data["type"] == "view":
            self.shown_dataset = data.get("dataset")
            if data.get("dataset") == self.dataset.name:
                self._view = data["filter"] or None
        elif data["type"] == "error":
            self.last_error = data["message"]
            warnings.warn(f"VisionLens panels: {self.last_error}", stacklevel=1)
        # Not after a hello: the view that follows it says whether the grid shows our dataset.
        if data["type"] in ("selection", "view"):
            self._refresh_display()

    def _refresh_display(self) -> None:
        """Update the status lines this session put into cells, if their text changed."""
        if self._displayed is None or self._displayed == self.status():
            return
        from IPython.display import update_display

        self._displayed = self.status()
        update_display({"text/plain": self._displayed}, raw=True, display_id=self._display_id)

    def _notify(self) -> None:
        ids = self._ids.tolist()
        for callback in list(self._callbacks):
            try:
                callback(ids)
            except Exception:  # a broken callback must not break the link
                traceback.print_exc()

    def _on_close(self, msg: dict[str, Any]) -> None:
        self.closed = True
        self._refresh_display()


def _get_id(data: Any) -> Any:
    return data.get("id") if isinstance(data, dict) else None


def _create_comm(hello: P.KernelMessage) -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipykernel always brings IPython
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    if shell is None or getattr(shell, "kernel", None) is None:
        raise VisionLensError(
            "vl.open() links a notebook kernel to the JupyterLab panels: run it in a notebook "
            "(the DataFrame API, vl.dataset(...).samples(), works anywhere)"
        )
    import comm

    return comm.create_comm(target_name=P.TARGET, data=hello, metadata={"version": P.VERSION})
