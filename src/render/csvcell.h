/* csvcell: the spreadsheet guard of the CSVs' text cells.  Strangers choose what a
 * payment's reference and payer's name say; a cell that a spreadsheet would read as a
 * formula is shown with a leading ' so that it stays the text it is. */
#ifndef MONZOHFS_CSVCELL_H
#define MONZOHFS_CSVCELL_H

#include <stdbool.h>

/* Whether the text cell s needs the leading ': after its leading spaces and ASCII
 * control characters (U+0001..U+0020), it begins with = + - or @ (or their fullwidth
 * forms ＝ ＋ － ＠), and is not a lone + or -.  Never true of a text that begins with
 * ', so the guarded text is left as it is. */
bool csvcell_is_formula(const char *s);

#endif
