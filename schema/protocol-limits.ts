/**
 * Sizes the server enforces on conversation messages and socket frames, which clients mirror
 * (the widget's composer stops where the server would refuse). Plain numbers, no zod: the widget
 * imports them without taking a validation library into its bundle.
 */

/** Longest visitor message, in characters, after sanitising (the product's limit). */
export const MAX_MESSAGE_CHARS = 4_000;
/** Longest message accepted before sanitising, which trims and may shorten it; the exact limit is checked after. */
export const RAW_MESSAGE_CHARS = MAX_MESSAGE_CHARS * 2;
/** Largest socket frame accepted, in bytes; a full message in JSON fits with room to spare. */
export const MAX_FRAME_BYTES = 32_768;
/** Longest `client_id` a client may give a message (it makes sends idempotent). */
export const MAX_CLIENT_ID_CHARS = 100;
