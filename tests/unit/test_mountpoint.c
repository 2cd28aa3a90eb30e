/* Unit tests of mountpoint: a monzohfs mount is found in mountinfo by its exact path,
 * escapes and all, and never by another filesystem's entry or a path's prefix. */
#include "check.h"
#include "mountpoint.h"

static const char mountinfo[] =
	"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
	"40 22 0:45 / /home/al\\040ice/monzo rw,nosuid,nodev,relatime shared:20 - fuse.monzohfs monzohfs "
	"ro,user_id=1000,group_id=1000\n"
	"41 22 0:46 / /home/alice/other rw,relatime - fuse.sshfs host: rw,user_id=1000\n"
	"42 22 0:47 / /mnt/tab\\011and\\134slash rw - fuse.monzohfs monzohfs ro\n"
	"43 22 0:48 / /mnt/optional rw shared:5 master:1 - fuse.monzohfs monzohfs ro\n";

int main(void)
{
	CHECK(mountpoint_is_monzohfs(mountinfo, "/home/al ice/monzo"));
	CHECK(!mountpoint_is_monzohfs(mountinfo, "/home/al\\040ice/monzo"));
	CHECK(!mountpoint_is_monzohfs(mountinfo, "/home/al ice"));
	CHECK(!mountpoint_is_monzohfs(mountinfo, "/home/alice/other"));
	CHECK(!mountpoint_is_monzohfs(mountinfo, "/"));
	CHECK(mountpoint_is_monzohfs(mountinfo, "/mnt/tab\tand\\slash"));
	CHECK(mountpoint_is_monzohfs(mountinfo, "/mnt/optional"));
	CHECK(!mountpoint_is_monzohfs("", "/mnt/optional"));
	CHECK(!mountpoint_is_monzohfs("garbage without separator\n", "/"));
	return CHECK_DONE();
}
