"""The source layout keeps its promise: the build lets each layer see only the layers
it may use (meson.build), and within what the store and the renderers may see, they
never reach for HTTP or FUSE."""
import re
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]', re.M)


def includes(layer):
    for f in sorted((SRC / layer).glob("*.[ch]")):
        for name in INCLUDE.findall(f.read_text()):
            yield f.relative_to(SRC), name


def test_store_and_render_never_see_http_or_fuse():
    for layer in ("util", "store", "render"):
        for f, name in includes(layer):
            assert name not in ("http.h", "curl/curl.h") and "fuse" not in name, f"{f} includes {name}"


def test_fuse_only_in_the_fs_glue_and_the_daemon_main():
    allowed = {Path("fs/fs.c"), Path("fs/fs.h"), Path("fs/fs_io.c"), Path("fs/fs_io.h"), Path("fs/monzohfs.c")}
    for layer in (p.name for p in SRC.iterdir() if p.is_dir()):
        for f, name in includes(layer):
            # The kernel's wire format (linux/fuse.h) is no libfuse: the fs layer's
            # init_flags reads it, and its unit test links it without FUSE.
            if name == "linux/fuse.h" and layer == "fs":
                continue
            if "fuse" in name:
                assert f in allowed, f"{f} includes {name}"


def test_every_layer_says_what_it_owns():
    for layer in (p for p in SRC.iterdir() if p.is_dir()):
        readme = layer / "README.md"
        assert readme.exists() and "may use" in readme.read_text(), layer
