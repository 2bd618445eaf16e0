/** Files imported as text (Vite's `?raw`), for tests that check shipped configuration. */
declare module "*?raw" {
  const text: string;
  export default text;
}
