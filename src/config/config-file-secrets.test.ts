// Hiding pincer.yaml's literal secrets behind numbered placeholders for an editor, and putting them back from the
// current file wherever the placeholders were moved; env references and comments stay as written.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.ts";
import { hideConfigSecrets, restoreConfigSecrets } from "./config-file-secrets.ts";

const FILE = "/home/u/.pincer/pincer.yaml";
const SECRET_FILE = [
  "# my setup",
  "models:",
  "  providers:",
  "    openai: { type: openai, api_key: sk-proj-AAAAAAAAAAAAAAAAAAAAAAAA }   # the work key",
  "    router:",
  "      type: openai-compatible",
  "      preset: openrouter",
  "      api_key: ${env:OPENROUTER_API_KEY}",
  "      api_keys: [key-one-1111, key-two-2222]",
  "      headers: { Authorization: Bearer abcdefghijkl, X-Title: pincer }",
  "store:",
  "  url: postgres://pincer:hunter2@db:5432/pincer",
  "",
].join("\n");

describe("hideConfigSecrets", () => {
  it("returns a file without literal secrets exactly as written", () => {
    const text = "# hi\nmodels:\n  providers:\n    o: { type: openai, api_key: '${env:KEY}' }   # from env\n";
    expect(hideConfigSecrets(text)).toEqual({ text, secrets: [] });
  });

  it("replaces each literal secret by a numbered placeholder, keeping comments, references and other values", () => {
    const { text, secrets } = hideConfigSecrets(SECRET_FILE);
    expect(secrets).toEqual([
      { keyPath: "models.providers.openai.api_key", line: 4, placeholder: "<kept secret #1>" },
      { keyPath: "models.providers.router.api_keys[0]", line: 9, placeholder: "<kept secret #2>" },
      { keyPath: "models.providers.router.api_keys[1]", line: 9, placeholder: "<kept secret #3>" },
      { keyPath: "models.providers.router.headers.Authorization", line: 10, placeholder: "<kept secret #4>" },
      { keyPath: "store.url", line: 12, placeholder: "<kept secret #5>" },
    ]);
    for (const secret of ["sk-proj-AAAA", "key-one", "key-two", "abcdefghijkl", "hunter2"]) expect(text).not.toContain(secret);
    expect(text).toContain("# my setup");
    expect(text).toContain("# the work key");
    expect(text).toContain("${env:OPENROUTER_API_KEY}");
    expect(text).toContain("X-Title: pincer");
  });

  it("masks what looks secret in text that is not valid YAML", () => {
    expect(hideConfigSecrets("models: [\napi_key: sk-proj-AAAAAAAAAAAAAAAAAAAAAAAA\n").text).toBe("models: [\napi_key: sk-***\n");
  });
});

describe("restoreConfigSecrets", () => {
  it("puts secrets back by number, wherever the placeholders were moved, and drops the ones deleted", () => {
    const shown = hideConfigSecrets(SECRET_FILE).text;
    const edited = shown
      .replace('api_keys: [ "<kept secret #2>", "<kept secret #3>" ]', 'api_keys: [ "<kept secret #3>" ]')
      .replace("X-Title: pincer", 'X-Title: pincer, X-Backup: "<kept secret #1>"');
    expect(edited).not.toBe(shown);
    const restored = restoreConfigSecrets(edited, SECRET_FILE, FILE);
    expect(restored).toContain("api_key: sk-proj-AAAAAAAAAAAAAAAAAAAAAAAA");
    expect(restored).toMatch(/api_keys: \[ key-two-2222 \]/);
    expect(restored).not.toContain("key-one-1111");
    expect(restored).toContain("X-Backup: sk-proj-AAAAAAAAAAAAAAAAAAAAAAAA");
    expect(restored).toContain("url: postgres://pincer:hunter2@db:5432/pincer");
    expect(hideConfigSecrets(restored).secrets).toHaveLength(5);
  });

  it("refuses a placeholder the current file has no secret for, naming its key path", () => {
    const edited = 'models:\n  providers:\n    x: { type: openai, api_key: "<kept secret #9>" }\n';
    expect(() => restoreConfigSecrets(edited, SECRET_FILE, FILE)).toThrow(ConfigError);
    try {
      restoreConfigSecrets(edited, undefined, FILE);
    } catch (err) {
      expect((err as ConfigError).keyPath).toBe("models.providers.x.api_key");
      expect((err as ConfigError).message).toBe(
        `${FILE} models.providers.x.api_key: "<kept secret #9>" stands for a secret the config file does not hold (any more). Fix: type the value itself, or a \${env:NAME} reference`,
      );
    }
  });

  it("leaves text without placeholders, or that is not YAML, as it is", () => {
    expect(restoreConfigSecrets("a: 1\n", SECRET_FILE, FILE)).toBe("a: 1\n");
    expect(restoreConfigSecrets('a: [ "<kept secret #1>"\n', SECRET_FILE, FILE)).toBe('a: [ "<kept secret #1>"\n');
  });
});
