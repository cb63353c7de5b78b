// libheif (libheif-dev): HEIC photos (iPhones), decoded with libde265.
#include <libheif/heif.h>
