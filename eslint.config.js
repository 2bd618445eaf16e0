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
      // Style rules of the recommended sets that this codebase does not follow on purpose.
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "off",
      "no-empty": ["error", { allowEmptyCatch: true }],
    },
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
        WebSocket: "readonly", queueMicrotask: "readonly", setImmediate: "readonly", window: "readonly", document: "readonly",
      },
    },
    rules: {
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "no-empty": ["error", { allowEmptyCatch: true }],
    },
  },
);
