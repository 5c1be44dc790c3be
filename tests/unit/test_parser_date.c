/* parser/date.c: which page dates the parser believes. Reading them is
 * lib's vl_date (tests/unit/test_date.c); this is the parser's policy. */
#include <string.h>
#include <criterion/criterion.h>
#include "parser/parser.h"

/* 2025-01-01T00:00:00Z */
#define NOW 1735689600000LL

static void ok(const char *in, const char *want)
{
        char out[PARSER_DATE_LEN];

        cr_expect(parser_date_parse(in, NOW, out), "'%s' not parsed", in);
        if (parser_date_parse(in, NOW, out))
                cr_expect_str_eq(out, want, "'%s'", in);
}

static void no(const char *in)
{
        char out[PARSER_DATE_LEN];

        cr_expect_not(parser_date_parse(in, NOW, out), "'%s' parsed as %s",
                      in, parser_date_parse(in, NOW, out) ? out : "");
}

Test(parser_date, reads_loosely_and_as_precisely_as_written)
{
        ok("2024-03-12T10:05:00+01:00", "2024-03-12T09:05:00Z");
        ok("Publié le 2024-03-12 à 10:05", "2024-03-12T10:05:00");
        ok("mardi 12 mars 2024", "2024-03-12");
        no("Le ministre a parlé");
}

Test(parser_date, refuses)
{
        no("1989-12-31");
        no("1990-01-01T00:30:00+01:00");        /* 1989 in UTC */
        no("2025-01-02T12:00:00Z");     /* more than a day ahead */
}

Test(parser_date, within_a_day_ahead)
{
        ok("2025-01-01T20:00:00Z", "2025-01-01T20:00:00Z");
        ok("2025-01-01", "2025-01-01");
        ok("1990-01-01", "1990-01-01");
}

Test(parser_date, no_upper_bound_without_a_clock)
{
        char out[PARSER_DATE_LEN];

        cr_expect(parser_date_parse("2100-01-01", 0, out));
        cr_expect_not(parser_date_parse("1989-12-31", 0, out));
}
