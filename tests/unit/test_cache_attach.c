/* Unit tests of cache_attach_ext: an attachment file's extension from its file_type,
 * else from its URL's path when short and alphanumeric, else bin. */
#include "cache_attach.h"
#include "check.h"

static void ext_is(const char *type, const char *url, const char *want)
{
	char out[8];
	cache_attach_ext(type, url, out);
	CHECK_STR(out, want);
}

int main(void)
{
	ext_is("image/jpeg", "https://h/x.png", "jpg");
	ext_is("IMAGE/PNG", "", "png");
	ext_is("image/gif", "", "gif");
	ext_is("image/heic", "", "heic");
	ext_is("application/pdf; charset=binary", "", "pdf");
	ext_is("image/jpeg2000", "https://h/a/receipt.jp2", "jp2");
	ext_is("", "https://h/a/b/Scan.TIFF?sig=abc.def#x.y", "tiff");
	ext_is("text/plain", "https://h/a/notes.txt", "txt");
	ext_is("", "https://h/a/archive.tar.gz", "gz");
	ext_is("", "https://h/a/file.toolong", "bin");
	ext_is("", "https://h/a/file.t-t", "bin");
	ext_is("", "https://h/a/file.", "bin");
	ext_is("", "https://h/a/noext", "bin");
	ext_is("", "https://h/a.dir/noext", "bin");
	ext_is("", "https://example.com", "bin");
	ext_is("", "https://example.com?x=a.jpg", "bin");
	ext_is("", "", "bin");
	return CHECK_DONE();
}
