/** The satisfaction prompt shown once a conversation is resolved: 1 to 5 stars, then thanks. */
import { useState } from "preact/hooks";
import type { Translate } from "../app/i18n";
import type { ChatSession } from "../app/session";

/** Props of the rating prompt. */
export interface RatingProps {
  session: ChatSession;
  t: Translate;
}

/** Five labelled buttons in a fieldset; the choice is sent at once. */
export function Rating({ session, t }: RatingProps) {
  const [done, setDone] = useState(false);
  if (session.rated.value && !done) return null;
  return (
    <div class="rate">
      {done ? (
        <p role="status">{t("thanks")}</p>
      ) : (
        <fieldset>
          <legend>{t("rate")}</legend>
          {[1, 2, 3, 4, 5].map((n) => (
            <button type="button" class="star" aria-label={t("star", { n })} onClick={() =>
                session.conversationCall("POST", "/satisfaction", { body: { score: n } }).then(() => {
                  session.markRated();
                  setDone(true);
                }, () => {})
              }>
              <span aria-hidden="true">★</span>
            </button>
          ))}
        </fieldset>
      )}
    </div>
  );
}
