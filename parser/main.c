/* veille-parser: page events in, article events out (see parser.h). */
#include <malloc.h>
#include <string.h>
#include <libxml/parser.h>
#include "parser.h"

int main(int argc, char **argv)
{
        struct parser_conf pc;
        struct vl_stage st;
        int rc;

        memset(&pc, 0, sizeof(pc));
        /* Buffers of 1 MiB and more (a large page's copies, its text, its
         * JSON) get their own mappings, given back to the system when
         * freed. glibc's default threshold rises to the size of the
         * largest buffer freed, after which a large page's buffers come
         * from the heap and its peak stays resident: 127 MB instead of
         * 95 MB for a 10 MB page (bench/parser/README.md). */
        mallopt(M_MMAP_THRESHOLD, 1 << 20);
        xmlInitParser(); /* once, before any thread */
        parser_stage_setup(&st, &pc);
        rc = vl_stage_main(&st, argc, argv);
        xmlCleanupParser();
        return rc;
}
