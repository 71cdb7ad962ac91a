/**
 * Typed calls to the server routes under `<base_url>/privlab-jupyterlab/`.
 *
 * Every request goes through `ServerConnection.makeRequest`, which adds the
 * Jupyter token and XSRF header; the routes refuse requests without them.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export const NAMESPACE = 'privlab-jupyterlab';

export interface IStoreInfo {
  home: string;
  exists: boolean;
  default: boolean;
}

export interface IEpsilon {
  total: number | null;
  spent: number | null;
  left: number | null;
  fraction_spent: number | null;
}

export interface IDataset {
  name: string;
  owner: string;
  department: string | null;
  purpose: string | null;
  classification: string | null;
  status: string;
  profiled: boolean;
  epsilon: IEpsilon;
  dp_releases: number;
  releases: number;
}

export interface IDatasetDetail extends IDataset {
  columns: { name: string; role: string }[];
  schema: { name: string; dtype: string }[];
}

export interface IDatasets {
  store: IStoreInfo;
  mode: string | null;
  datasets: IDataset[];
}

export interface IRelease {
  id: string;
  dataset: string;
  kind: string;
  status: string;
  created_at: string;
  expires_at: string | null;
  policy: {
    name: string | null;
    passed: boolean;
    status: string;
    violations: string[];
  };
  report: string | null;
  files: string[];
}

export interface IReleases {
  store: IStoreInfo;
  releases: IRelease[];
}

export interface IAudit {
  ok: boolean;
  records: number;
  summary: string;
  problems: string[];
  cached: boolean;
  checked_at: number;
  signature?: string;
  witness?: string;
}

export interface IProfileColumn {
  name: string;
  dtype: string;
  semantic_type: string;
  role: string;
  confidence: number;
  evidence: Record<string, unknown>;
  reason: string | null;
}

export interface IProfile {
  path: string;
  report: string;
  rows: number;
  columns: IProfileColumn[];
  quasi_identifiers: string[];
  qi_risk: {
    min_class_size?: number;
    unique_share?: number;
    risky_combinations?: { columns: string[]; min_class_size: number }[];
  };
  elapsed: number;
}

/**
 * Call a route; rejects with an Error whose message is the server's JSON `message`.
 */
export async function requestAPI<T>(
  endPoint: string,
  init: RequestInit = {},
  query: Record<string, string> = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  let url = URLExt.join(settings.baseUrl, NAMESPACE, endPoint);
  const search = new URLSearchParams(query).toString();
  if (search) {
    url += `?${search}`;
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: any = text;
  if (text.length > 0 && response.headers.get('Content-Type')?.includes('json')) {
    data = JSON.parse(text);
  }
  if (!response.ok) {
    const message =
      (data && typeof data === 'object' && data.message) ||
      `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return data as T;
}
