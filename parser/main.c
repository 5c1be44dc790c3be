/* veille-parser: page events in, article events out (see parser.h). */
#include <string.h>
#include <libxml/parser.h>
#include "parser.h"

int main(int argc, char **argv)
{
        struct parser_conf pc;
        struct vl_stage st;
        int rc;

        memset(&pc, 0, sizeof(pc));
        xmlInitParser(); /* once, before any thread */
        parser_stage_setup(&st, &pc);
        rc = vl_stage_main(&st, argc, argv);
        xmlCleanupParser();
        return rc;
}
