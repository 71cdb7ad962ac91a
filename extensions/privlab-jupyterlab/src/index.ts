/**
 * privlab-jupyterlab: a privacy side panel and a "Profile with privlab" file action.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';

import { IProfile, IRelease, requestAPI } from './api';
import { PrivacyPanel } from './panel';
import { PROFILE_SUFFIXES, isProfileable } from './paths';
import { ProfileView, ReportView } from './views';

const PLUGIN_ID = 'privlab-jupyterlab:plugin';

namespace CommandIDs {
  export const openPanel = 'privlab:open-panel';
  export const refresh = 'privlab:refresh';
  export const verifyAudit = 'privlab:verify-audit';
  export const profileFile = 'privlab:profile-file';
}

const privlabIcon = new LabIcon({
  name: 'privlab:shield',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16">' +
    '<path class="jp-icon3" fill="#616161" d="M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5l-8-3zm0 ' +
    '9.5h6c-.5 3.9-3 7.3-6 8.3v-8.3H6V6.3l6-2.2v7.4z"/></svg>'
});

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'A privacy side panel and file-browser actions over the privlab store.',
  autoStart: true,
  requires: [ISettingRegistry],
  optional: [ILayoutRestorer, ICommandPalette, IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    fileBrowser: IDefaultFileBrowser | null
  ) => {
    const { commands, shell } = app;
    let openCount = 0;

    const openInMain = (widget: MainAreaWidget): void => {
      shell.add(widget, 'main');
      shell.activateById(widget.id);
    };

    const openReport = (title: string, html: string, id: string): void => {
      const content = new ReportView(title, html);
      const widget = new MainAreaWidget({ content });
      widget.id = `privlab-report-${id}-${++openCount}`;
      widget.title.label = title;
      widget.title.icon = privlabIcon;
      widget.title.closable = true;
      openInMain(widget);
    };

    const openReleaseReport = async (release: IRelease): Promise<void> => {
      try {
        const html = await requestAPI<string>(
          `releases/${encodeURIComponent(release.id)}/report`,
          {},
          panel.storePath ? { home: panel.storePath } : {}
        );
        openReport(`${release.kind} ${release.dataset} report`, html, release.id);
      } catch (error) {
        Notification.error(`Could not open the report of release ${release.id}: ${errorMessage(error)}`);
      }
    };

    const openFileReport = async (path: string): Promise<void> => {
      try {
        const model = await app.serviceManager.contents.get(path, {
          content: true,
          format: 'text',
          type: 'file'
        });
        openReport(path.split('/').pop() ?? path, String(model.content), path.replace(/\W/g, '-'));
      } catch (error) {
        Notification.error(`Could not open ${path}: ${errorMessage(error)}`);
      }
    };

    const panel = new PrivacyPanel({
      openReport: release => void openReleaseReport(release),
      nearlySpent: (dataset, threshold) => {
        const eps = dataset.epsilon;
        Notification.warning(
          `Privacy budget of "${dataset.name}" is nearly spent: ` +
            `${Math.round(100 * (eps.fraction_spent ?? 1))}% of ε ${eps.total} used ` +
            `(alert at ${Math.round(100 * threshold)}%).`,
          { autoClose: false }
        );
      }
    });
    panel.title.icon = privlabIcon;
    shell.add(panel, 'right', { rank: 600 });
    if (restorer) {
      restorer.add(panel, 'privlab-panel');
    }

    // The panel refreshes when shown; this timer refreshes it while it stays visible.
    let timer: number | undefined;
    const schedule = (seconds: number): void => {
      if (timer !== undefined) {
        window.clearInterval(timer);
        timer = undefined;
      }
      if (seconds > 0) {
        timer = window.setInterval(() => {
          if (panel.isVisible) {
            void panel.refresh();
          }
        }, seconds * 1000);
      }
    };
    const applySettings = (settings: ISettingRegistry.ISettings): void => {
      panel.storePath = String(settings.get('storePath').composite ?? '').trim();
      panel.threshold = Number(settings.get('nearlySpentThreshold').composite ?? 0.8);
      schedule(Number(settings.get('refreshInterval').composite ?? 30));
      if (panel.isVisible) {
        void panel.refresh();
      }
    };

    commands.addCommand(CommandIDs.openPanel, {
      label: 'Open privacy panel',
      caption: 'Show privlab datasets, privacy budgets, releases and the audit status',
      icon: privlabIcon,
      execute: () => shell.activateById(panel.id)
    });
    commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh privacy panel',
      caption: 'Reload datasets, budgets, releases and the audit status',
      execute: () => panel.refresh()
    });
    commands.addCommand(CommandIDs.verifyAudit, {
      label: 'Verify privlab audit log',
      execute: async () => {
        const result = await panel.verifyAudit();
        if (result) {
          (result.ok ? Notification.success : Notification.error)(
            `privlab audit log: ${result.summary}`
          );
        }
      }
    });

    const selectedFile = (): string | null => {
      const item = fileBrowser?.selectedItems().next();
      if (!item || item.done || item.value.type === 'directory') {
        return null;
      }
      return item.value.path;
    };

    commands.addCommand(CommandIDs.profileFile, {
      label: 'Profile with privlab',
      caption: `Profile a ${PROFILE_SUFFIXES.join(' or ')} file: each column's role and evidence`,
      icon: privlabIcon,
      isVisible: args => {
        const path = (args.path as string | undefined) ?? selectedFile();
        return !!path && isProfileable(path);
      },
      execute: async args => {
        const path = (args.path as string | undefined) ?? selectedFile();
        if (!path || !isProfileable(path)) {
          Notification.warning(
            `Select a ${PROFILE_SUFFIXES.join(' or ')} file in the file browser to profile it.`
          );
          return;
        }
        const id = Notification.emit(`Profiling ${path} with privlab…`, 'in-progress', {
          autoClose: false
        });
        try {
          const profile = await requestAPI<IProfile>('profile', {
            method: 'POST',
            body: JSON.stringify({ path })
          });
          Notification.update({
            id,
            type: 'success',
            message: `Profiled ${path}: ${profile.columns.length} columns, report in ${profile.report}`,
            autoClose: 5000
          });
          const content = new ProfileView(profile, p => void openFileReport(p));
          const widget = new MainAreaWidget({ content });
          widget.id = `privlab-profile-${++openCount}`;
          widget.title.label = `Profile: ${path.split('/').pop()}`;
          widget.title.icon = privlabIcon;
          widget.title.closable = true;
          openInMain(widget);
          void fileBrowser?.model.refresh();
        } catch (error) {
          Notification.update({
            id,
            type: 'error',
            message: `Could not profile ${path}: ${errorMessage(error)}`,
            autoClose: false
          });
        }
      }
    });

    if (palette) {
      const category = 'privlab';
      for (const command of [CommandIDs.openPanel, CommandIDs.refresh, CommandIDs.verifyAudit]) {
        palette.addItem({ command, category });
      }
    }

    settingRegistry
      .load(PLUGIN_ID)
      .then(settings => {
        applySettings(settings);
        settings.changed.connect(applySettings);
      })
      .catch(reason => {
        console.error('privlab-jupyterlab: could not load settings', reason);
        schedule(30);
      });
  }
};

export default plugin;
