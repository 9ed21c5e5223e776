// The credential the UI uses for /api/v1 (Bearer) and the /ws auth frame: the gateway token, or a session token from
// a login code. Kept in sessionStorage, and in localStorage too when the user asked to be remembered.

const KEY = "pincer.token";
const listeners = new Set();

/** The stored token, or "" when logged out. */
export function getToken() {
  return localStorage.getItem(KEY) ?? sessionStorage.getItem(KEY) ?? "";
}

/** Stores a token; `remember` keeps it across browser restarts. */
export function setToken(token, remember = false) {
  sessionStorage.setItem(KEY, token);
  if (remember) localStorage.setItem(KEY, token);
  else localStorage.removeItem(KEY);
  for (const fn of listeners) fn({ token, reason: "" });
}

/** Forgets the token; `reason` (shown on the login screen) says why, empty for a plain logout. */
export function clearToken(reason = "") {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
  for (const fn of listeners) fn({ token: "", reason });
}

/** Calls `fn({ token, reason })` whenever the token changes; returns the unsubscribe function. */
export function onTokenChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
