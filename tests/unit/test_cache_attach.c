/* Unit tests of cache_attach_ext: an attachment file's extension from its file_type,
 * from a list of receipt types, else bin: never from the URL. */
#include "cache_attach.h"
#include "check.h"

static void ext_is(const char *type, const char *want)
{
	char out[8];
	cache_attach_ext(type, out);
	CHECK_STR(out, want);
}

int main(void)
{
	ext_is("image/jpeg", "jpg");
	ext_is("image/jpg", "jpg");
	ext_is("IMAGE/PNG", "png");
	ext_is("image/gif", "gif");
	ext_is("image/heic", "heic");
	ext_is("image/webp", "webp");
	ext_is("application/pdf; charset=binary", "pdf");
	ext_is("application/pdf\t", "pdf");
	/* Anything else, however harmless it looks. */
	ext_is("text/html", "bin");
	ext_is("image/svg+xml", "bin");
	ext_is("application/x-sh", "bin");
	ext_is("text/plain", "bin");
	ext_is("image/jpeg2000", "bin");
	ext_is("image/jpegx", "bin");
	ext_is("image/pn", "bin");
	ext_is("pdf", "bin");
	ext_is("", "bin");
	return CHECK_DONE();
}
