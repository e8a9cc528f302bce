// libxml2's pull reader (xmlTextReader): workbook parts and XML choice files
// are read with it directly, not through FoundationXML's XMLParser, which
// traps on some inputs (see Sources/XLSForm/XMLEvents.swift).
#include <libxml/xmlversion.h>
// Debian builds libxml2 with ICU, whose headers clash with the ICU Foundation
// carries; nothing here uses an encoding handler's ICU fields, so leave them out.
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
