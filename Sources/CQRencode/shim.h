// Debian's libqrencode (libqrencode-dev), for the QR codes on printed pages.
#include <qrencode.h>
