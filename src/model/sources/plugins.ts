/** The server's Python plugins (`GET /plugins`), for the plugins panel. */
import { IPluginsListing, IVisionLensModel } from '../tokens';

/** The Python plugins the server loaded, and those that failed. */
export function listPlugins(
  model: IVisionLensModel,
  signal?: AbortSignal
): Promise<IPluginsListing> {
  return model.client.listPlugins(signal);
}
