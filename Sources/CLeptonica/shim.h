// Leptonica (libleptonica-dev): image decoding for OCR and perceptual hashing.
#include <leptonica/allheaders.h>
