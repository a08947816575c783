# bxexit: PGXS build.  `make`, `make install`, `make installcheck`;
# the whole suite with a throwaway cluster is `bash scripts/test.sh`.

EXTENSION = bxexit
EXTVERSION = 0.2.0
MODULE_big = bxexit

# Two layers: lib/ is server-free C (and the one C++ bridge), testable
# without PostgreSQL; src/ is the PostgreSQL glue, one folder per concern.
#
# VPATH builds (Debian's pg_buildext builds in build-15 with
# VPATH=<source>): every wildcard looks in $(srcdir) (set by PGXS below;
# these are "=" variables, expanded after it) and yields names relative to
# it, and the object folders are created in the build directory.
dir_objs = $(patsubst $(srcdir)/%.c,%.o,$(wildcard $(srcdir)/$(1)/*.c))
LIB_OBJS = \
	lib/bx_runtime.o \
	lib/kernels.o \
	lib/knn_block.o \
	lib/ip_panels.o \
	lib/knn_select.o \
	lib/embedding_parse.o \
	$(call dir_objs,lib/nn) \
	$(call dir_objs,lib/image) \
	$(call dir_objs,lib/facepipe) \
	lib/faiss_bridge.o

GLUE_OBJS = \
	src/bxexit.o \
	src/guc.o \
	$(call dir_objs,src/type) \
	$(call dir_objs,src/am) \
	$(call dir_objs,src/face) \
	$(call dir_objs,src/records)

OBJS = $(GLUE_OBJS) $(LIB_OBJS)

# Install and upgrade scripts live at the top level: sql/ belongs to pg_regress.
# The current release's full install script is built from its parts in
# sql/install/ (NN_concern.sql, concatenated in name order; outside the
# REGRESS wildcard sql/*.sql); released full scripts and the upgrade
# scripts are files in git.
INSTALL_PARTS = $(sort $(wildcard $(srcdir)/sql/install/*.sql))
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
DATA = $(filter-out $(DATA_built),$(notdir $(wildcard $(srcdir)/$(EXTENSION)--*.sql)))

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=bxexit

# FAISS is a static C++ library on Debian: link it in, hide its symbols,
# and bring the C++, OpenMP and BLAS runtimes it needs.
FAISS_LIB ?= $(shell $(CXX) -print-file-name=libfaiss.a)
SHLIB_LINK += -Wl,--exclude-libs,ALL $(FAISS_LIB) -lgomp -lopenblas -lstdc++ -ljpeg -lpng -lm
PG_CXXFLAGS = -std=c++17 -fvisibility=hidden -fopenmp -Wall -Wextra -I$(srcdir)/lib

PG_CONFIG ?= pg_config
# -Wextra, less -Wunused-parameter: PostgreSQL's own headers (bufpage.h) and
# every fmgr function that ignores fcinfo would trip it.
PG_CPPFLAGS = -I$(srcdir)/include -I$(srcdir)/lib -Wextra -Wno-unused-parameter
EXTRA_CLEAN = results regression.diffs regression.out

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# a VPATH build compiles lib/nn/x.c into ./lib/nn/x.o: make the folders
ifneq ($(srcdir),.)
$(shell mkdir -p $(sort $(dir $(OBJS))))
endif

override CFLAGS += -std=gnu11

# PGXS tracks no header dependencies: rebuild every object when a project
# header changes (an object built against an old on-disk format or limit is
# worse than a longer build)
$(OBJS): $(wildcard $(srcdir)/include/*.h $(srcdir)/lib/*.h $(srcdir)/lib/*/*.h)

ifneq ($(MAJORVERSION),15)
$(error bxexit is built for PostgreSQL 15, not $(MAJORVERSION))
endif

# Only the distance kernels may be reassociated: that is what lets -O2 split
# a float sum into SIMD lanes (see the comment at the top of lib/kernels.c).
KERNEL_FLAGS = -fassociative-math -fno-signed-zeros -fno-trapping-math
lib/kernels.o: CFLAGS += -ftree-vectorize -fvect-cost-model=dynamic $(KERNEL_FLAGS)
lib/kernels.bc: BITCODE_CFLAGS += $(KERNEL_FLAGS)

# The full install script of this release: its parts, in order
$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_PARTS)
	cat $^ >$@

# PGXS bitcode-compiles .cpp without PG_CXXFLAGS (see ../shared/STYLE.md 8)
override BITCODE_CXXFLAGS += -std=c++17 -I$(srcdir)/lib
