// JSON over fetch, with the bearer token of the logged-in agent or supervisor.

export class ApiError extends Error {
  constructor(
    readonly status: number, // 0: the request did not reach the server (offline)
    message: string,
    readonly code = "", // the server's error code ({"error": {"code"}}), "offline" when it was not reached
    readonly field = "", // the field a refusal is about, when the server names one
  ) {
    super(message);
  }
}

export interface ApiOptions {
  method?: string;
  body?: unknown;
  token?: string | null;
  base?: string;
  headers?: Record<string, string>;
}

/** The error of a refused call, from the server's `{"error": {"code", "message", "field"}}` (or an older
 * `{"error": "code", "message"}`). */
function refused(status: number, data: any, fallback: string): ApiError {
  const err = data?.error;
  const code = typeof err === "string" ? err : typeof err?.code === "string" ? err.code : "";
  const message = err?.message ?? data?.message ?? (typeof err === "string" ? err : fallback);
  const field = err?.field ?? data?.field ?? "";
  return new ApiError(status, typeof message === "string" ? message : fallback, code, typeof field === "string" ? field : "");
}

/** Call the REST API: the answer's JSON and the response (for its headers); throws ApiError on a
 * non-2xx answer, and ApiError(0, …, "offline") when the server was not reached. */
export async function request(path: string, options: ApiOptions = {}): Promise<{ data: any; response: Response }> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch((options.base ?? "") + path, {
      method: options.method ?? (options.body === undefined ? "GET" : "POST"),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "the server could not be reached", "offline");
  }
  const text = await response.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) throw refused(response.status, data, response.statusText);
  return { data, response };
}

/** Call the REST API; the answer's JSON (throws ApiError as `request` does). */
export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  return (await request(path, options)).data as T;
}
