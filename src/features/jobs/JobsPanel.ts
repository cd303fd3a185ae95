/**
 * The jobs panel: the server's background jobs (queued, running, finished)
 * with queue position, stage, progress, rate and ETA, and a cancel button
 * on the ones that can still change.
 */
import { Message } from '@lumino/messaging';
import { IDisposable } from '@lumino/disposable';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { nameSidePanel } from '../../ui/panelNames';
import { button, fmtDate, h } from '../../base/dom';
import { isActive } from '../../api/jobs';
import { describeProgress, errorHeadline } from '../../model/jobs';
import { CommandIDs, IJob, IJobsModel } from '../../model/tokens';
import { visibleText } from '../../base/dataText';

/**
 * The panel; it polls the jobs only while it is visible. Its header starts a
 * model job ("Run a model…", the command of the model jobs plugin).
 */
export class JobsPanel extends Widget {
  constructor(
    private readonly _jobs: IJobsModel,
    commands: CommandRegistry
  ) {
    super();
    this.id = 'visionlens-jobs';
    this.addClass('jp-VisionLens-jobs');
    nameSidePanel(this.title, 'jobs');
    this._list = h('div', { className: 'jp-VisionLens-jobList' });
    this._message = h('div', { className: 'jp-VisionLens-message' });
    const runModel = button('Run a model…', 'jp-VisionLens-runModel', () =>
      commands.execute(CommandIDs.runModel)
    );
    runModel.title = 'Run a detector, classifier, captioner or VLM (a job)';
    this._message.hidden = true;
    this.node.append(
      h(
        'div',
        { className: 'jp-VisionLens-panelHeader' },
        h('div', { className: 'jp-VisionLens-panelTitle', text: 'Jobs' }),
        runModel
      ),
      this._message,
      this._list
    );
    _jobs.changed.connect(this._render, this);
    this._render();
  }

  dispose(): void {
    this._watch?.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    this._watch ??= this._jobs.watch();
  }

  protected onAfterHide(msg: Message): void {
    this._watch?.dispose();
    this._watch = null;
  }

  protected onAfterAttach(msg: Message): void {
    if (this.isVisible) {
      this._watch ??= this._jobs.watch();
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this._watch?.dispose();
    this._watch = null;
  }

  private _render(): void {
    const jobs = this._jobs.jobs;
    if (jobs.length === 0) {
      this._list.replaceChildren(
        h('div', { className: 'jp-VisionLens-empty', text: 'No job yet.' })
      );
      return;
    }
    this._list.replaceChildren(...jobs.map(job => this._row(job)));
  }

  private _row(job: IJob): HTMLElement {
    const row = h(
      'div',
      { className: 'jp-VisionLens-jobRow' },
      h(
        'div',
        { className: 'jp-VisionLens-jobHead' },
        h('span', {
          className: 'jp-VisionLens-jobTitle',
          text: job.title || job.kind
        }),
        h('span', { className: 'jp-VisionLens-jobStatus', text: job.status })
      ),
      h('div', {
        className: 'jp-VisionLens-jobProgress',
        text: describeProgress(job)
      }),
      h('div', {
        className: 'jp-VisionLens-jobDate',
        text: fmtDate(job.created_at)
      })
    );
    row.dataset.job = job.id;
    row.dataset.status = job.status;
    if (job.status === 'failed' && job.error) {
      const full = job.error.trim();
      if (errorHeadline(full) !== full) {
        row.append(this._errorDetails(job.id, full));
      }
    }
    if (job.status === 'running' && typeof job.progress === 'number') {
      const bar = h('progress', { className: 'jp-VisionLens-progress' });
      bar.max = 1;
      bar.value = job.progress;
      row.append(bar);
    }
    if (isActive(job)) {
      row.append(
        button('Cancel', 'jp-VisionLens-jobCancel', () => this._cancel(job))
      );
    }
    return row;
  }

  /**
   * A failed job's whole error, folded under "Details" (the row shows its
   * headline). The panel redraws its rows on every job event: a fold the
   * user opened stays open.
   */
  private _errorDetails(id: string, error: string): HTMLElement {
    const details = h(
      'details',
      { className: 'jp-VisionLens-jobError' },
      h('summary', { text: 'Details' }),
      h('pre', { text: error })
    );
    details.open = this._openErrors.has(id);
    details.addEventListener('toggle', () => {
      if (details.open) {
        this._openErrors.add(id);
      } else {
        this._openErrors.delete(id);
      }
    });
    return details;
  }

  private async _cancel(job: IJob): Promise<void> {
    try {
      await this._jobs.cancel(job.id);
      this._setMessage('');
    } catch (error) {
      this._setMessage(`Could not cancel: ${(error as Error).message}`);
    }
  }

  private _setMessage(text: string): void {
    this._message.textContent = visibleText(text);
    this._message.classList.toggle('jp-mod-error', !!text);
    this._message.hidden = !text;
  }

  private _list: HTMLDivElement;
  private _message: HTMLDivElement;
  private _watch: IDisposable | null = null;
  private _openErrors = new Set<string>();
}
