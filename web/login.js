// Keeping a project's API key in this browser: POST /{project}/login checks the key and
// sets the HttpOnly api_key cookie, so that pages and websockets authenticate without
// the key in any URL or script. The compute page and the login page share this.

/** Keep `apiKey` as the cookie of `projectId` on `server` (its URL with the base path);
 * rejects with the server's reason when the key is refused. */
export async function rememberKey(server, projectId, apiKey) {
  const url = new URL(`${encodeURIComponent(projectId)}/login`, server);
  const response = await fetch(url, { method: "POST", body: new URLSearchParams({ api_key: apiKey }) });
  if (!response.ok) throw new Error((await response.text()).trim() || `HTTP ${response.status}`);
}
