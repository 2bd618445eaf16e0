/** A live preview of the widget with the branding being edited: launcher and open panel. */
import type { Branding } from "../../../schema/api";

/** Black or white, whichever reads better on `hex` (the widget makes the same choice). */
export function textOn(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const channel = (v: number) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const lum = 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
  return (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) ? "#000000" : "#ffffff";
}

export function WidgetPreview({ branding, assistantName }: { branding: Branding; assistantName: string }) {
  const color = branding.primary_color && /^#[0-9a-fA-F]{6}$/.test(branding.primary_color) ? branding.primary_color : "#2149b8";
  const side = branding.position === "bottom-left" ? { left: "1rem" } : { right: "1rem" };
  return (
    <figure className="preview" aria-label="Widget preview">
      <div className="preview-panel" style={side}>
        <div className="preview-header" style={{ background: color, color: textOn(color) }}>
          {branding.avatar_url ? <img src={branding.avatar_url} alt="" /> : null}
          <span>{branding.title || assistantName}</span>
        </div>
        <div className="preview-body">
          <span className="preview-bubble">{branding.greeting || "Hi! How can I help you today?"}</span>
        </div>
      </div>
      <div className="preview-launcher" style={{ ...side, background: color }} />
      <figcaption className="visually-hidden">How the chat widget will look on your site</figcaption>
    </figure>
  );
}
