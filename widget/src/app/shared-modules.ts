/**
 * The Preact modules `rich.js` borrows from the app instead of bundling its own copy: one
 * Preact instance on the page (hooks and signals need that), and fewer bytes.
 * vite.config.ts maps these imports of `rich.js` to `EdgeDesk._p`.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Fragment, jsx, jsxs } from "preact/jsx-runtime";

/** Module name → the exports `rich.js` uses. Keep in step with SHARED_MODULES in vite.config.ts. */
export const SHARED_MODULES = {
  "preact/jsx-runtime": { jsx, jsxs, Fragment },
  "preact/hooks": { useEffect, useMemo, useRef, useState },
};
