/**
 * The registry of lab-side contributions (tile overlays, sample-view sections,
 * map colour schemes) other JupyterLab extensions add through
 * `model.extensions`. Third-party code runs inside `invoke`, which isolates
 * its failures: one broken overlay is logged and counted, never fatal.
 */
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ContributionKind,
  IContribution,
  IContributionInfo,
  IMapColorScheme,
  ISampleViewSection,
  ITileOverlay,
  IVisionLensExtensions,
  VISIONLENS_EXTENSIONS_API_VERSION
} from './tokens';

const DEFAULT_RANK = 100;

interface IEntry {
  kind: ContributionKind;
  contribution: IContribution;
  order: number;
  errors: number;
  lastError: string | null;
}

/** Whether a registry of version `ours` serves an extension written for `wanted`. */
export function supportsVersion(ours: string, wanted: string): boolean {
  const parse = (v: string): [number, number] | null => {
    const m = /^(\d+)(?:\.(\d+))?$/.exec(v.trim());
    return m ? [Number(m[1]), Number(m[2] ?? 0)] : null;
  };
  const a = parse(ours);
  const b = parse(wanted);
  return !!a && !!b && a[0] === b[0] && b[1] <= a[1];
}

/** Implementation of {@link IVisionLensExtensions}. */
export class ExtensionRegistry implements IVisionLensExtensions {
  readonly apiVersion = VISIONLENS_EXTENSIONS_API_VERSION;

  supports(version: string): boolean {
    return supportsVersion(this.apiVersion, version);
  }

  addTileOverlay(overlay: ITileOverlay): IDisposable {
    return this._add('tileOverlay', overlay, ['render']);
  }

  addSampleViewSection(section: ISampleViewSection): IDisposable {
    return this._add('sampleSection', section, ['render', 'title']);
  }

  addMapColorScheme(scheme: IMapColorScheme): IDisposable {
    return this._add('mapColorScheme', scheme, ['label']);
  }

  get tileOverlays(): readonly ITileOverlay[] {
    return this._list('tileOverlay') as ITileOverlay[];
  }

  get sampleViewSections(): readonly ISampleViewSection[] {
    return this._list('sampleSection') as ISampleViewSection[];
  }

  get mapColorSchemes(): readonly IMapColorScheme[] {
    return this._list('mapColorScheme') as IMapColorScheme[];
  }

  mapColorScheme(id: string): IMapColorScheme | null {
    const entry = this._entries.get(key('mapColorScheme', id));
    return entry ? (entry.contribution as IMapColorScheme) : null;
  }

  contributions(): IContributionInfo[] {
    return this._sorted().map(info);
  }

  invoke(
    kind: ContributionKind,
    contribution: IContribution,
    fn: () => void
  ): boolean {
    try {
      fn();
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.error(
        `VisionLens: ${kind} "${contribution.id}" of ${contribution.owner} failed:`,
        error
      );
      const entry = this._entries.get(key(kind, contribution.id));
      if (entry && entry.contribution === contribution) {
        entry.errors++;
        entry.lastError = message;
        this._failed.emit(info(entry));
      }
      return false;
    }
  }

  get changed(): ISignal<IVisionLensExtensions, ContributionKind> {
    return this._changed;
  }

  get failed(): ISignal<IVisionLensExtensions, IContributionInfo> {
    return this._failed;
  }

  private _add(
    kind: ContributionKind,
    contribution: IContribution,
    required: string[]
  ): IDisposable {
    const missing = ['id', 'owner', ...required].filter(
      name => !(contribution as any)?.[name]
    );
    if (missing.length) {
      throw new Error(
        `VisionLens: a ${kind} needs ${missing.map(m => `"${m}"`).join(', ')}`
      );
    }
    const k = key(kind, contribution.id);
    if (this._entries.has(k)) {
      throw new Error(
        `VisionLens: a ${kind} "${contribution.id}" is already registered`
      );
    }
    const entry: IEntry = {
      kind,
      contribution,
      order: this._order++,
      errors: 0,
      lastError: null
    };
    this._entries.set(k, entry);
    this._changed.emit(kind);
    return new DisposableDelegate(() => {
      if (this._entries.get(k) === entry) {
        this._entries.delete(k);
        this._changed.emit(kind);
      }
    });
  }

  private _list(kind: ContributionKind): IContribution[] {
    return this._sorted()
      .filter(entry => entry.kind === kind)
      .map(entry => entry.contribution);
  }

  private _sorted(): IEntry[] {
    return [...this._entries.values()].sort(
      (a, b) =>
        (a.contribution.rank ?? DEFAULT_RANK) -
          (b.contribution.rank ?? DEFAULT_RANK) || a.order - b.order
    );
  }

  private _entries = new Map<string, IEntry>();
  private _order = 0;
  private _changed = new Signal<IVisionLensExtensions, ContributionKind>(this);
  private _failed = new Signal<IVisionLensExtensions, IContributionInfo>(this);
}

function key(kind: ContributionKind, id: string): string {
  return `${kind}\u0000${id}`;
}

function info(entry: IEntry): IContributionInfo {
  return {
    kind: entry.kind,
    id: entry.contribution.id,
    owner: entry.contribution.owner,
    errors: entry.errors,
    lastError: entry.lastError
  };
}
