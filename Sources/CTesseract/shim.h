// Tesseract's C API (libtesseract-dev). Its `struct Pix` is Leptonica's PIX: import CLeptonica too.
#include <tesseract/capi.h>
