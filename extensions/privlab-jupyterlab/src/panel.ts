/**
 * The right-sidebar privacy panel: datasets with an ε meter each, releases with
 * policy badges, the audit status, a filter and a refresh button.
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import {
  IAudit,
  IDataset,
  IDatasetDetail,
  IDatasets,
  IRelease,
  IReleases,
  requestAPI
} from './api';
import { fmt, h, roleClass } from './dom';

export interface IPanelOptions {
  /** Open a release's report in a main-area tab. */
  openReport: (release: IRelease) => void;
  /** Called once when a dataset's spent share reaches the threshold. */
  nearlySpent: (dataset: IDataset, threshold: number) => void;
}

/** `Datasets (3)`, or `Datasets (1 of 3)` while a filter hides some. */
function countLabel(label: string, shown: number, total: number): string {
  return shown === total ? `${label} (${total})` : `${label} (${shown} of ${total})`;
}

export class PrivacyPanel extends Widget {
  constructor(options: IPanelOptions) {
    super();
    this._options = options;
    this.id = 'privlab-panel';
    this.addClass('jp-privlab-panel');
    this.title.caption = 'privlab: datasets, privacy budgets, releases';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'privlab privacy panel');

    this._refreshButton = h(
      'button',
      {
        class: 'jp-privlab-button',
        type: 'button',
        'aria-label': 'Refresh privacy panel',
        title: 'Reload datasets, budgets, releases and the audit status'
      },
      'Refresh'
    );
    this._refreshButton.addEventListener('click', () => void this.refresh());
    this._filter = h('input', {
      class: 'jp-privlab-filter',
      type: 'search',
      placeholder: 'Filter datasets and releases',
      'aria-label': 'Filter datasets and releases'
    });
    this._filter.addEventListener('input', () => this._render());
    this._verifyButton = h(
      'button',
      {
        class: 'jp-privlab-button',
        type: 'button',
        'aria-label': 'Verify audit log now',
        title: 'Check the hash chain, the signed head and the witness now'
      },
      'Verify now'
    );
    this._verifyButton.addEventListener('click', () => void this.verifyAudit());

    this._store = h('div', { class: 'jp-privlab-store' });
    this._error = h('div', { class: 'jp-privlab-error', role: 'alert' });
    this._audit = h('div', {
      class: 'jp-privlab-audit',
      role: 'status',
      'aria-label': 'Audit log status'
    });
    this._datasetsHeading = h('h3', { id: 'privlab-datasets-heading' }, 'Datasets');
    this._datasets = h('ul', {
      class: 'jp-privlab-list',
      'aria-labelledby': 'privlab-datasets-heading'
    });
    this._releasesHeading = h('h3', { id: 'privlab-releases-heading' }, 'Releases');
    this._releases = h('ul', {
      class: 'jp-privlab-list',
      'aria-labelledby': 'privlab-releases-heading'
    });

    this.node.append(
      h(
        'div',
        { class: 'jp-privlab-header' },
        h('h2', {}, 'Privacy'),
        this._refreshButton
      ),
      this._store,
      this._filter,
      this._error,
      h(
        'section',
        { 'aria-labelledby': 'privlab-audit-heading' },
        h(
          'div',
          { class: 'jp-privlab-section-head' },
          h('h3', { id: 'privlab-audit-heading' }, 'Audit log'),
          this._verifyButton
        ),
        this._audit
      ),
      h('section', {}, this._datasetsHeading, this._datasets),
      h('section', {}, this._releasesHeading, this._releases)
    );
  }

  /** Store folder sent with every request: '' is the server's PRIVLAB_HOME. */
  get storePath(): string {
    return this._storePath;
  }
  set storePath(value: string) {
    if (value !== this._storePath) {
      this._storePath = value;
      this._notified.clear();
      this._expanded.clear();
      this._details.clear();
    }
  }

  /** Share of ε spent (0–1) at which a dataset is flagged as nearly spent. */
  threshold = 0.8;

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
  }

  /** Reload everything from the server. */
  async refresh(): Promise<void> {
    this._refreshButton.disabled = true;
    this.node.setAttribute('aria-busy', 'true');
    try {
      const query = this._query();
      const [datasets, releases, audit] = await Promise.all([
        requestAPI<IDatasets>('datasets', {}, query),
        requestAPI<IReleases>('releases', {}, query),
        requestAPI<IAudit>('audit', {}, query)
      ]);
      this._data = datasets;
      this._releaseData = releases;
      this._auditData = audit;
      await Promise.all(
        [...this._expanded].map(name => this._loadDetail(name).catch(() => null))
      );
      this._setError('');
      this._checkBudgets();
    } catch (error) {
      this._setError(`Could not load the privlab store: ${(error as Error).message}`);
    } finally {
      this._refreshButton.disabled = false;
      this.node.removeAttribute('aria-busy');
      this._render();
    }
  }

  /** Verify the audit log now, bypassing the server's cache. */
  async verifyAudit(): Promise<IAudit | null> {
    this._verifyButton.disabled = true;
    try {
      this._auditData = await requestAPI<IAudit>('audit', {}, {
        ...this._query(),
        fresh: '1'
      });
      this._setError('');
      return this._auditData;
    } catch (error) {
      this._setError(`Could not verify the audit log: ${(error as Error).message}`);
      return null;
    } finally {
      this._verifyButton.disabled = false;
      this._render();
    }
  }

  private _query(): Record<string, string> {
    return this._storePath ? { home: this._storePath } : {};
  }

  private _setError(message: string): void {
    this._error.textContent = message;
    this._error.hidden = !message;
  }

  private async _loadDetail(name: string): Promise<void> {
    const detail = await requestAPI<IDatasetDetail>(
      `datasets/${encodeURIComponent(name)}`,
      {},
      this._query()
    );
    this._details.set(name, detail);
  }

  private _checkBudgets(): void {
    for (const ds of this._data?.datasets ?? []) {
      const spent = ds.epsilon.fraction_spent ?? 0;
      if (spent >= this.threshold) {
        if (!this._notified.has(ds.name)) {
          this._notified.add(ds.name);
          this._options.nearlySpent(ds, this.threshold);
        }
      } else {
        this._notified.delete(ds.name);
      }
    }
  }

  private _matches(...fields: (string | null | undefined)[]): boolean {
    const needle = this._filter.value.trim().toLowerCase();
    return (
      !needle || fields.some(f => (f ?? '').toLowerCase().includes(needle))
    );
  }

  private _render(): void {
    const store = this._data?.store ?? this._releaseData?.store;
    this._store.replaceChildren(
      store
        ? h(
            'span',
            {},
            'Store: ',
            h('code', { title: store.home }, store.home),
            store.default ? ' (server default)' : '',
            store.exists ? '' : ' — not created yet',
            this._data?.mode ? ` · ${this._data.mode} mode` : ''
          )
        : ''
    );
    this._renderAudit();
    this._renderDatasets();
    this._renderReleases();
  }

  private _renderAudit(): void {
    const a = this._auditData;
    if (!a) {
      this._audit.replaceChildren('Not checked yet.');
      return;
    }
    const badge = h(
      'span',
      { class: `jp-privlab-badge ${a.ok ? 'jp-privlab-ok' : 'jp-privlab-bad'}` },
      a.ok ? 'verified' : 'FAILED'
    );
    const when = new Date(a.checked_at * 1000).toLocaleTimeString();
    this._audit.replaceChildren(
      badge,
      ' ',
      h('span', {}, a.summary),
      h(
        'div',
        { class: 'jp-privlab-muted' },
        `checked ${when}${a.cached ? ' (cached: the log has not changed)' : ''}`
      ),
      ...a.problems.map(p =>
        h('div', { class: a.ok ? 'jp-privlab-muted' : 'jp-privlab-problem' }, p)
      )
    );
  }

  private _renderDatasets(): void {
    const all = this._data?.datasets ?? [];
    const shown = all.filter(d =>
      this._matches(d.name, d.owner, d.department, d.purpose, d.status)
    );
    this._datasetsHeading.textContent = countLabel('Datasets', shown.length, all.length);
    if (!all.length) {
      this._datasets.replaceChildren(
        h(
          'li',
          { class: 'jp-privlab-empty' },
          'No datasets yet: register one with privlab (pv.governance or a DPSession).'
        )
      );
      return;
    }
    this._datasets.replaceChildren(...shown.map(d => this._datasetItem(d)));
  }

  private _datasetItem(d: IDataset): HTMLElement {
    const expanded = this._expanded.has(d.name);
    const toggle = h(
      'button',
      {
        class: 'jp-privlab-toggle',
        type: 'button',
        'aria-expanded': expanded ? 'true' : 'false',
        'aria-label': `Column roles of ${d.name}`
      },
      `${expanded ? '▾' : '▸'} ${d.name}`
    );
    toggle.addEventListener('click', () => void this._toggle(d.name));

    const eps = d.epsilon;
    const total = eps.total ?? 0;
    const left = eps.left ?? 0;
    const spent = eps.fraction_spent ?? 0;
    const level =
      spent >= this.threshold ? 'jp-privlab-high' : spent >= 0.5 ? 'jp-privlab-mid' : '';
    const meter = h(
      'div',
      {
        class: `jp-privlab-meter ${level}`,
        role: 'meter',
        'aria-label': `ε budget left for ${d.name}`,
        'aria-valuemin': 0,
        'aria-valuemax': fmt(total, 6),
        'aria-valuenow': fmt(left, 6),
        'aria-valuetext': `${fmt(left)} of ${fmt(total)} ε left`
      },
      h('div', {
        class: 'jp-privlab-meter-fill',
        style: `width: ${total > 0 ? Math.max(0, Math.min(100, (100 * left) / total)) : 0}%`
      })
    );
    const meta = [d.owner && `owner ${d.owner}`, d.department, d.purpose]
      .filter(Boolean)
      .join(' · ');
    const item = h(
      'li',
      { class: 'jp-privlab-item' },
      h(
        'div',
        { class: 'jp-privlab-row' },
        toggle,
        h('span', { class: `jp-privlab-badge jp-privlab-status-${d.status}` }, d.status)
      ),
      meta ? h('div', { class: 'jp-privlab-muted' }, meta) : null,
      meter,
      h(
        'div',
        { class: 'jp-privlab-meter-text' },
        `ε ${fmt(left)} of ${fmt(total)} left · ${fmt(eps.spent)} spent in ${d.dp_releases} DP ` +
          `quer${d.dp_releases === 1 ? 'y' : 'ies'}`
      )
    );
    if (expanded) {
      item.append(this._columns(d.name));
    }
    return item;
  }

  private _columns(name: string): HTMLElement {
    const detail = this._details.get(name);
    if (!detail) {
      return h('div', { class: 'jp-privlab-muted' }, 'Loading column roles…');
    }
    if (!detail.columns.length) {
      return h(
        'div',
        { class: 'jp-privlab-muted' },
        'Not profiled: register it with profile=pv.profile(data) to record column roles.'
      );
    }
    return h(
      'table',
      { class: 'jp-privlab-table', 'aria-label': `Column roles of dataset ${name}` },
      h('thead', {}, h('tr', {}, h('th', {}, 'column'), h('th', {}, 'role'))),
      h(
        'tbody',
        {},
        ...detail.columns.map(c =>
          h(
            'tr',
            {},
            h('td', {}, c.name),
            h('td', {}, h('span', { class: roleClass(c.role) }, c.role.replace(/_/g, ' ')))
          )
        )
      )
    );
  }

  private async _toggle(name: string): Promise<void> {
    if (this._expanded.has(name)) {
      this._expanded.delete(name);
      this._render();
      return;
    }
    this._expanded.add(name);
    this._render();
    try {
      await this._loadDetail(name);
      this._setError('');
    } catch (error) {
      this._expanded.delete(name);
      this._setError(`Could not load ${name}: ${(error as Error).message}`);
    }
    this._render();
  }

  private _renderReleases(): void {
    const all = this._releaseData?.releases ?? [];
    const shown = all.filter(r =>
      this._matches(r.dataset, r.kind, r.id, r.policy.status, r.policy.name)
    );
    this._releasesHeading.textContent = countLabel('Releases', shown.length, all.length);
    if (!all.length) {
      this._releases.replaceChildren(
        h('li', { class: 'jp-privlab-empty' }, 'No releases yet.')
      );
      return;
    }
    this._releases.replaceChildren(
      ...shown.map(r => {
        const open = h(
          'button',
          {
            class: 'jp-privlab-button',
            type: 'button',
            'aria-label': `Open report of ${r.kind} release ${r.id}`,
            title: r.report ?? 'A summary of the release, built from the catalog'
          },
          'Report'
        );
        open.addEventListener('click', () => this._options.openReport(r));
        const policy = r.policy.passed
          ? 'policy passed'
          : `policy failed: ${r.policy.violations.length} violation(s)`;
        return h(
          'li',
          { class: 'jp-privlab-item' },
          h(
            'div',
            { class: 'jp-privlab-row' },
            h('strong', {}, r.kind),
            h('span', {}, ` of ${r.dataset}`),
            open
          ),
          h(
            'div',
            { class: 'jp-privlab-row' },
            h(
              'span',
              {
                class: `jp-privlab-badge ${r.policy.passed ? 'jp-privlab-ok' : 'jp-privlab-bad'}`,
                title: r.policy.violations.join('\n') || (r.policy.name ?? '')
              },
              policy
            ),
            h(
              'span',
              { class: 'jp-privlab-muted' },
              `${r.created_at.slice(0, 16).replace('T', ' ')} · ${r.id}`
            )
          )
        );
      })
    );
  }

  private _options: IPanelOptions;
  private _storePath = '';
  private _data: IDatasets | null = null;
  private _releaseData: IReleases | null = null;
  private _auditData: IAudit | null = null;
  private _expanded = new Set<string>();
  private _details = new Map<string, IDatasetDetail>();
  private _notified = new Set<string>();
  private _refreshButton: HTMLButtonElement;
  private _verifyButton: HTMLButtonElement;
  private _filter: HTMLInputElement;
  private _store: HTMLElement;
  private _error: HTMLElement;
  private _audit: HTMLElement;
  private _datasetsHeading: HTMLElement;
  private _datasets: HTMLElement;
  private _releasesHeading: HTMLElement;
  private _releases: HTMLElement;
}
