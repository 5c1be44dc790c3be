/* Which dates the parser believes: reading them is lib's (vl_date), what a
 * news page can plausibly say is the parser's policy. */
#include "parser.h"

#define MIN_YEAR 1990
#define MIN_EPOCH 631152000LL /* 1990-01-01T00:00:00Z */
#define DAY_S (24LL * 3600)

bool parser_date_parse(const char *s, int64_t now_ms,
                       char out[PARSER_DATE_LEN])
{
        struct vl_date dt;
        int64_t t;

        if (vl_date_parse(s, VL_DATE_LOOSE, &dt, NULL) != VL_OK)
                return false;
        /* a local time is checked as if it were UTC, a zoned one both as
         * written and in UTC */
        t = vl_date_epoch(&dt);
        if (dt.year < MIN_YEAR || t < MIN_EPOCH)
                return false;
        if (now_ms > 0 && t > now_ms / 1000 + DAY_S)
                return false;
        vl_date_iso(&dt, out);
        return true;
}
