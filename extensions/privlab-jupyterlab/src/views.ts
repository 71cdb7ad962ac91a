/**
 * Main-area views: a file's profile summary, and an HTML report in a sandbox.
 */
import { Widget } from '@lumino/widgets';

import { IProfile } from './api';
import { evidenceLines, fmt, h, roleClass } from './dom';

/**
 * A privlab HTML report in an iframe: scripts run (the report draws its charts
 * with its inlined Vega), but without `allow-same-origin` the page cannot reach
 * JupyterLab, its cookies or the server.
 */
export class ReportView extends Widget {
  constructor(title: string, html: string) {
    super();
    this.addClass('jp-privlab-report');
    const frame = h('iframe', {
      class: 'jp-privlab-report-frame',
      sandbox: 'allow-scripts',
      title
    });
    frame.srcdoc = html;
    this.node.append(frame);
  }
}

/**
 * The profile of one file: each column's role, type, confidence and evidence.
 */
export class ProfileView extends Widget {
  constructor(profile: IProfile, openReport: (path: string) => void) {
    super();
    this.addClass('jp-privlab-profile');
    const name = profile.path.split('/').pop() ?? profile.path;
    const risk = profile.qi_risk ?? {};
    const report = h(
      'button',
      {
        class: 'jp-privlab-button',
        type: 'button',
        'aria-label': `Open HTML report of ${name}`,
        title: profile.report
      },
      'Open HTML report'
    );
    report.addEventListener('click', () => openReport(profile.report));
    const counts = new Map<string, number>();
    for (const c of profile.columns) {
      counts.set(c.role, (counts.get(c.role) ?? 0) + 1);
    }
    this.node.append(
      h(
        'div',
        { class: 'jp-privlab-profile-head' },
        h('h2', {}, `Profile of ${profile.path}`),
        report
      ),
      h(
        'p',
        {},
        `${profile.rows} rows, ${profile.columns.length} columns: `,
        ...[...counts.entries()].map(([role, n]) =>
          h('span', { class: roleClass(role) }, `${n} ${role.replace(/_/g, ' ')}`)
        )
      ),
      h(
        'p',
        { class: 'jp-privlab-muted' },
        `Quasi-identifiers: ${profile.quasi_identifiers.join(', ') || 'none'}` +
          (risk.min_class_size !== undefined
            ? ` · smallest class ${risk.min_class_size}, unique share ${fmt(risk.unique_share)}`
            : '') +
          ` · profiled in ${fmt(profile.elapsed, 1)} s · report: ${profile.report}`
      ),
      h(
        'table',
        { class: 'jp-privlab-table', 'aria-label': `Column roles of ${name}` },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'column'),
            h('th', {}, 'role'),
            h('th', {}, 'type'),
            h('th', {}, 'confidence'),
            h('th', {}, 'evidence')
          )
        ),
        h(
          'tbody',
          {},
          ...profile.columns.map(c =>
            h(
              'tr',
              {},
              h('td', {}, h('code', {}, c.name), h('div', { class: 'jp-privlab-muted' }, c.dtype)),
              h('td', {}, h('span', { class: roleClass(c.role) }, c.role.replace(/_/g, ' '))),
              h('td', {}, c.semantic_type),
              h('td', { class: 'jp-privlab-num' }, fmt(c.confidence)),
              h(
                'td',
                { class: 'jp-privlab-evidence' },
                ...evidenceLines(c.evidence ?? {}).map(line => h('div', {}, line)),
                c.reason ? h('div', { class: 'jp-privlab-muted' }, c.reason) : null
              )
            )
          )
        )
      )
    );
  }
}
