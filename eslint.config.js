/**
 * `npm run lint`: a small rule set for mistakes the type checker lets through (promises nobody
 * awaits or handles, code nobody uses). Import circles and imports into `http/` from the domain
 * rooms are checked by `npm run check:imports`, which `npm run lint` runs too.
 */
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/build/**",
      "**/dist/**",
      "public/**",
      ".wrangler/**",
      "**/.wrangler/**",
      "worker-configuration.d.ts",
      "schema/migrations/**",
    ],
  },
  {
    files: ["**/*.{ts,tsx}"],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits loses its error and its ordering; `void` says "on purpose".
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
      "@typescript-eslint/no-explicit-any": "error",
      // `interface Env extends Secrets {}` merges a room's bindings into the global Env.
      "@typescript-eslint/no-empty-object-type": ["error", { allowInterfaces: "with-single-extends" }],
      // `declare global { namespace Cloudflare { interface Env … } }` is how bindings are typed.
      "@typescript-eslint/no-namespace": ["error", { allowDeclarations: true }],
      // Sanitisers strip control characters on purpose.
      "no-control-regex": "off",
      "no-empty": ["error", { allowEmptyCatch: true }],
    },
  },
  {
    // Test helpers read JSON bodies loosely; product code may not.
    files: ["**/test/**", "**/*.test.{ts,tsx}", "**/e2e/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // Browser, end-to-end and script tests run in Node beside the platform and have no tsconfig of their own.
    files: ["e2e/**/*.ts", "dashboard/e2e/**/*.ts", "scripts/test/**/*.ts"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { parserOptions: { projectService: false, project: null } },
  },
  {
    files: ["**/*.{js,mjs}"],
    extends: [js.configs.recommended],
    languageOptions: {
      globals: {
        process: "readonly", console: "readonly", URL: "readonly", URLSearchParams: "readonly", fetch: "readonly",
        setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly",
        AbortSignal: "readonly", AbortController: "readonly", Buffer: "readonly", TextEncoder: "readonly",
        TextDecoder: "readonly", performance: "readonly", Response: "readonly", Request: "readonly", Headers: "readonly",
        FormData: "readonly", Blob: "readonly", File: "readonly", crypto: "readonly", structuredClone: "readonly",
        WebSocket: "readonly", requestAnimationFrame: "readonly", queueMicrotask: "readonly", setImmediate: "readonly", window: "readonly", document: "readonly",
      },
    },
    rules: {
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "no-empty": ["error", { allowEmptyCatch: true }],
    },
  },
);
