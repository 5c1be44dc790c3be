/* parser/date.c: dates as pages write them, to ISO 8601. */
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

Test(parser_date, iso_8601)
{
        ok("2024-03-12T10:05:00Z", "2024-03-12T10:05:00Z");
        ok("2024-03-12T10:05:00.123Z", "2024-03-12T10:05:00Z");
        ok("2024-03-12T10:05:00+01:00", "2024-03-12T09:05:00Z");
        ok("2024-03-12T00:30:00+0200", "2024-03-11T22:30:00Z");
        ok("2024-03-12T23:30:00-05", "2024-03-13T04:30:00Z");
        ok("2024-03-12 10:05:00", "2024-03-12T10:05:00");
        ok("2024-03-12T10:05", "2024-03-12T10:05:00");
        ok("2024-03-12", "2024-03-12");
        ok("2024/03/12", "2024-03-12");
        ok(" 2024-03-12T10:05:00 UTC ", "2024-03-12T10:05:00Z");
        ok("Publié le 2024-03-12 à 10:05", "2024-03-12T10:05:00");
        ok("2024-02-29", "2024-02-29");
}

Test(parser_date, rfc_822)
{
        ok("Tue, 12 Mar 2024 10:05:00 +0100", "2024-03-12T09:05:00Z");
        ok("Tue, 12 Mar 2024 10:05:00 GMT", "2024-03-12T10:05:00Z");
        ok("12 Mar 2024 10:05 EST", "2024-03-12T15:05:00Z");
        ok("Tue, 12 Mar 24 10:05:00 Z", "2024-03-12T10:05:00Z");
}

Test(parser_date, words)
{
        ok("12 mars 2024", "2024-03-12");
        ok("mardi 12 mars 2024 à 10h05", "2024-03-12T10:05:00");
        ok("1er août 2024", "2024-08-01");
        ok("Le 3 d\xc3\xa9" "cembre 2023 \xc3\xa0 18:30 GMT",
           "2023-12-03T18:30:00Z");
        ok("March 12, 2024 3:05 pm", "2024-03-12T15:05:00");
        ok("September 2nd, 2024", "2024-09-02");
        ok("12/03/2024", "2024-03-12");
        ok("12.03.2024 14:00", "2024-03-12T14:00:00");
        ok("03/25/2024", "2024-03-25");
}

Test(parser_date, epoch)
{
        ok("1710237900", "2024-03-12T10:05:00Z");
        ok("1710237900123", "2024-03-12T10:05:00Z");
}

Test(parser_date, refuses)
{
        no("");
        no("hier");
        no("1989-12-31");
        no("0000-00-00 00:00:00");
        no("2024-02-30");
        no("2024-13-01");
        no("2024-03-12T25:00:00");
        no("2025-01-02T12:00:00Z");     /* more than a day ahead */
        no("12 mars");                  /* no year */
        no("Le ministre a parlé");
}

Test(parser_date, within_a_day_ahead)
{
        ok("2025-01-01T20:00:00Z", "2025-01-01T20:00:00Z");
        ok("2025-01-01", "2025-01-01");
}
