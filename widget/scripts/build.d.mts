/** The widget version (from widget/package.json). */
export function widgetVersion(): string;
/** Builds the widget into public/widget/v<version>/. */
export function buildWidget(options?: { log?: (message: string) => void }): Promise<{ version: string; outDir: string; loaderPath: string }>;
