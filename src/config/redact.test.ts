// Tests for secret masking in free text and in config objects.
import { describe, expect, it } from "vitest";
import { redactConfig, redactSecrets } from "./redact.ts";

const CASES: [string, string, string][] = [
  ["OpenAI key", "key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnop"],
  ["OpenAI legacy key", "sk-abcdefghijklmnopqrstuvwxyz012345 rejected", "abcdefghijklmnop"],
  ["Anthropic key", "using sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz_0123456789-xyz", "AbCdEfGhIjKl"],
  ["bearer header", "Authorization: Bearer abc.def-ghi_jkl~mno+pqr/stu=", "abc.def-ghi"],
  ["api_key query", "GET https://api.example.com/v1/models?api_key=s3cr3tvalue&limit=5", "s3cr3tvalue"],
  ["key query", "https://generativelanguage.googleapis.com/v1/models?key=zzTopSecret99", "zzTopSecret99"],
  ["Slack bot token", "token xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp", "AbCdEfGhIjKlMnOp"],
  ["Slack app token", "xapp-1-A0123456789-1234567890123-abcdef0123456789", "abcdef0123456789"],
  ["Telegram bot token", "POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe", "AAHdqTcvCH1vGWJx"],
  ["GitHub token", "ghp_0123456789abcdefghijABCDEFGHIJ012345 pushed", "0123456789abcdefghij"],
  ["GitHub fine-grained token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnop"],
  ["AWS access key", "aws AKIAIOSFODNN7EXAMPLE configured", "IOSFODNN7EXAMPLE"],
  ["NATS nkey seed", "connect with SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU failed", "AMLK2ZNL35WSMW37"],
  ["hex after token key", 'refresh token="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"', "9f86d081884c7d65"],
  ["base64 after secret key", "client_secret: dGhpcyBpcyBhIHNlY3JldCB2YWx1ZQ==", "dGhpcyBpcyBhIHNlY3JldCB2"],
  ["password in JSON", '{"user":"ann","password":"hunter22"}', "hunter22"],
  ["password in URL", "connecting to postgres://pincer:correct-horse@db:5432/pincer", "correct-horse"],
  ["JWT", "id eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "dozjgNryP4J3"],
];

describe("redactSecrets", () => {
  it.each(CASES)("masks %s", (_name, text, secret) => {
    const out = redactSecrets(text);
    expect(out).not.toContain(secret);
    expect(out).toContain("***");
    expect(redactSecrets(out)).toBe(out);
  });

  it("keeps the recognisable prefix and the surrounding text", () => {
    expect(redactSecrets("bad key sk-ant-api03-abcdefghijklmnop here")).toBe("bad key sk-ant-*** here");
    expect(redactSecrets("Authorization: Bearer abcdefghijkl")).toBe("Authorization: Bearer ***");
    expect(redactSecrets("https://x.dev/a?api_key=abcdef123&limit=5")).toBe("https://x.dev/a?api_key=***&limit=5");
  });

  it("leaves ordinary text and token counts alone", () => {
    const text = 'max_tokens=4096 inputTokens: 123456789 {"tokens":12345678} https://example.com:8080/path@v2 ok';
    expect(redactSecrets(text)).toBe(text);
  });

  it("keeps JSON valid", () => {
    const json = JSON.stringify({ msg: 'token="abc\\"defghijkl"', url: "https://u:p4ss@h/x?token=abc\"def" });
    expect(() => JSON.parse(redactSecrets(json))).not.toThrow();
  });
});

describe("redactConfig", () => {
  it("masks secret keys and headers, keeps the rest and does not modify the input", () => {
    const config = {
      models: {
        providers: {
          work: {
            type: "openai",
            api_key: "sk-live-abcdefghijklmnopqrstuv",
            api_keys: ["k1-abcdefgh", "k2-abcdefgh"],
            api_key_env: "WORK_KEY",
            auth_token: "oauth-token-value",
            base_url: "https://llm.example.com/v1?api_key=inline-secret",
            headers: { Authorization: "Basic dXNlcjpwYXNz", "X-Team": "blue", "x-api-key": "abc" },
          },
        },
      },
      channels: { telegram: { bot_token: "123456:abc", password: "pw", signing_secret: "s" } },
      store: { url: "postgres://pincer:hunter2@db/pincer" },
      gateway: { port: 18790 },
    };
    const copy = structuredClone(config);
    const out = redactConfig(config);
    expect(config).toEqual(copy);
    expect(out.models.providers.work).toEqual({
      type: "openai",
      api_key: "***",
      api_keys: ["***", "***"],
      api_key_env: "WORK_KEY",
      auth_token: "***",
      base_url: "https://llm.example.com/v1?api_key=***",
      headers: { Authorization: "***", "X-Team": "blue", "x-api-key": "***" },
    });
    expect(out.channels.telegram).toEqual({ bot_token: "***", password: "***", signing_secret: "***" });
    expect(out.store.url).toBe("postgres://pincer:***@db/pincer");
    expect(out.gateway.port).toBe(18790);
  });
});

describe("redactConfig with a __proto__ key", () => {
  it("keeps it as data and masks the secrets below it", () => {
    const config = JSON.parse('{"providers": {"__proto__": {"api_key": "sk-live-123", "base_url": "http://x"}}}') as Record<string, unknown>;
    expect(JSON.stringify(redactConfig(config))).toBe('{"providers":{"__proto__":{"api_key":"***","base_url":"http://x"}}}');
  });
});
