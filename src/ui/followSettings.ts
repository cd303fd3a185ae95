/**
 * How the plugins follow their settings: applied once loaded and again on
 * every change; settings that cannot be loaded leave the plugin on its
 * defaults, with a warning in the console.
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';

/**
 * Call `apply` with the settings of `pluginId` once they are loaded (and
 * `after` has resolved, e.g. the model's restored state), then on each change.
 */
export function followSettings(
  registry: ISettingRegistry | null,
  pluginId: string,
  apply: (settings: ISettingRegistry.ISettings) => void,
  after?: Promise<unknown>
): void {
  if (!registry) {
    return;
  }
  void Promise.all([registry.load(pluginId), after])
    .then(([settings]) => {
      apply(settings);
      settings.changed.connect(() => apply(settings));
    })
    .catch(reason =>
      console.warn(`VisionLens: settings of ${pluginId} not loaded`, reason)
    );
}
