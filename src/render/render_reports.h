/* render_reports: the bytes of the reports/ files (files.h's FILE_REPORT_* in an
 * account's directory, FILE_NETWORTH_* at the mount's root), made by summary from the
 * store's rows and the inputs render_file is given. */
#ifndef MONZOHFS_RENDER_REPORTS_H
#define MONZOHFS_RENDER_REPORTS_H

#include "render_file.h"

/* An account's report (id->kind one of FILE_REPORT_*).  0, or -EIO. */
int render_reports_account(const struct file_id *id, const struct render_inputs *in, struct strbuf *out);
/* networth.csv or .svg: a column per open account of in->accounts whose ledger is in
 * in->ledgers, then one per pot of it that is not deleted.  0, or -EIO. */
int render_reports_networth(const struct file_id *id, const struct render_inputs *in, struct strbuf *out);

#endif
