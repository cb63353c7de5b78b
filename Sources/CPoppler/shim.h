// poppler-glib (libpoppler-glib-dev): a PDF's text layer page by page, and pages rendered with
// cairo for OCR when a page has no text layer.
#include <poppler.h>
#include <cairo.h>
