/** What the attachments API accepts (it checks the bytes again): images and PDFs up to 10 MiB. */
export const UPLOAD_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"];
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
