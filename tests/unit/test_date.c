/* lib/src/vl_date.c: dates as feeds and pages write them, to ISO 8601.
 * The strict cases come from the fetcher (feed dates, normalised to UTC),
 * the loose ones from the parser (page dates, as precise as written). */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "veille/date.h"

/* Strict, then to UTC as the fetcher writes feed dates. */
static void utc(const char *in, const char *want)
{
        struct vl_date dt;
        char out[VL_DATE_LEN];
        struct vl_err err = { 0 };

        cr_expect_eq(vl_date_parse(in, 0, &dt, &err), VL_OK,
                     "'%s' not parsed: %s", in, err.msg);
        if (err.rc != VL_OK)
                return;
        vl_date_format(vl_date_epoch(&dt), out);
        cr_expect_str_eq(out, want, "'%s'", in);
}

static void strict_no(const char *in)
{
        struct vl_date dt;
        struct vl_err err = { 0 };

        cr_expect_eq(vl_date_parse(in, 0, &dt, &err), VL_REJECT,
                     "'%s' was parsed", in);
        cr_expect(err.msg[0], "'%s': no message", in);
}

/* Loose, written as precisely as read, as the parser writes page dates. */
static void ok(const char *in, const char *want)
{
        struct vl_date dt;
        char out[VL_DATE_LEN];

        cr_expect_eq(vl_date_parse(in, VL_DATE_LOOSE, &dt, NULL), VL_OK,
                     "'%s' not parsed", in);
        if (vl_date_parse(in, VL_DATE_LOOSE, &dt, NULL) != VL_OK)
                return;
        vl_date_iso(&dt, out);
        cr_expect_str_eq(out, want, "'%s'", in);
}

static void no(const char *in)
{
        struct vl_date dt;
        char out[VL_DATE_LEN] = "";

        if (vl_date_parse(in, VL_DATE_LOOSE, &dt, NULL) == VL_OK)
                vl_date_iso(&dt, out);
        cr_expect_eq(vl_date_parse(in, VL_DATE_LOOSE, &dt, NULL), VL_REJECT,
                     "'%s' parsed as %s", in, out);
}

/* ------------------------------------------------- strict (feed dates) */

Test(date, rfc822_and_iso8601)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "Tue, 10 Jun 2003 04:00:00 GMT", "2003-06-10T04:00:00Z" },
                { "Tue, 10 Jun 2003 04:00:00 +0200", "2003-06-10T02:00:00Z" },
                { "Tue, 10 Jun 2003 04:00:00 -03:30", "2003-06-10T07:30:00Z" },
                { "10 Jun 2003 04:00 EDT", "2003-06-10T08:00:00Z" },
                { "Tue,10 Jun 2003 04:00:00 UT", "2003-06-10T04:00:00Z" },
                { "Tuesday, 10 June 2003 04:00:00 Z", "2003-06-10T04:00:00Z" },
                { "Tue, 10-Jun-03 04:00:00 GMT", "2003-06-10T04:00:00Z" },
                { "Mon, 1 Jan 1990 00:00:00", "1990-01-01T00:00:00Z" },
                { "Sat, 31 Dec 2016 23:59:60 GMT", "2016-12-31T23:59:59Z" },
                { "Wed, 08 Nov 2023 14:15:00 WAT", "2023-11-08T13:15:00Z" },
                { "Wed, 08 Nov 2023 14:15:00 GMT+0100",
                  "2023-11-08T13:15:00Z" },
                { "Wed, 08 Nov 2023 14:15:00 +0000 (UTC)",
                  "2023-11-08T14:15:00Z" },
                { "2024-03-12T10:05:00Z", "2024-03-12T10:05:00Z" },
                { "2024-03-12T10:05:00.123456+01:00", "2024-03-12T09:05:00Z" },
                { "2024-03-12T10:05:00-0500", "2024-03-12T15:05:00Z" },
                { "2024-03-12 10:05:00", "2024-03-12T10:05:00Z" },
                { "2024-03-12T10:05", "2024-03-12T10:05:00Z" },
                { "2024-03-12", "2024-03-12T00:00:00Z" },
                { "2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00Z" },
                { " 2000-02-29T12:00:00Z ", "2000-02-29T12:00:00Z" },
                { "1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z" },
        };
        static const char *const bad[] = {
                "", "hier", "2023-02-29", "2024-13-01", "2024-03-12T25:00",
                "Tue, 32 Jun 2003 04:00:00 GMT", "Tue, 10 Foo 2003",
                "10 Jun 2003 04:00:00 XYZ", "2024-03-12T10:05:00Zjunk",
                "Tue, 10 Jun 2003 04:00:00 GMT (unclosed",
        };
        struct vl_date dt;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                utc(cases[i].in, cases[i].out);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                strict_no(bad[i]);
        cr_assert_eq(vl_date_parse("1970-01-01T00:00:00Z", 0, &dt, NULL),
                     VL_OK);
        cr_assert_eq(vl_date_epoch(&dt), 0);
        cr_assert_eq(vl_date_parse("2001-09-09T01:46:40Z", 0, &dt, NULL),
                     VL_OK);
        cr_assert_eq(vl_date_epoch(&dt), 1000000000);
}

Test(date, strict_takes_what_either_daemon_read)
{
        /* the forms the parser knew and the fetcher did not */
        utc("2024-03-12T10:05:00 UTC", "2024-03-12T10:05:00Z");
        utc("2024-03-12T10:05:00 CET", "2024-03-12T09:05:00Z");
        utc("2024-03-12T10:05:00\xe2\x88\x92" "02:00", "2024-03-12T12:05:00Z");
        utc("2024/03/12", "2024-03-12T00:00:00Z");
        utc("2024-3-2", "2024-03-02T00:00:00Z");
        utc("1710237900", "2024-03-12T10:05:00Z");
        utc("1710237900123", "2024-03-12T10:05:00Z");
        /* the zones the fetcher knew and the parser did not */
        utc("Tue, 12 Mar 2024 13:05:00 MSK", "2024-03-12T10:05:00Z");
        utc("Tue, 12 Mar 2024 19:05:00 JST", "2024-03-12T10:05:00Z");
        /* 2-digit years: 1950 to 2049 */
        utc("Fri, 12 Mar 99 10:05:00 GMT", "1999-03-12T10:05:00Z");
        /* 24:00 is the end of the day */
        utc("2024-02-29T24:00:00Z", "2024-03-01T00:00:00Z");
        strict_no("2024-02-29T24:00:01Z");
        /* but only a date, nothing around it */
        strict_no("Publié le 2024-03-12");
        strict_no("12 mars 2024 à 10h05");
        strict_no("2024-03-12Tnoon");
        strict_no(NULL);
}

Test(date, fields_say_what_was_written)
{
        struct vl_date dt;

        cr_assert_eq(vl_date_parse("2024-03-12", 0, &dt, NULL), VL_OK);
        cr_expect(!dt.has_time && !dt.has_zone);
        cr_assert_eq(vl_date_parse("2024-03-12T10:05", 0, &dt, NULL), VL_OK);
        cr_expect(dt.has_time && !dt.has_zone);
        cr_expect_eq(dt.hour, 10);
        cr_assert_eq(vl_date_parse("2024-03-12T10:05+05:30", 0, &dt, NULL),
                     VL_OK);
        cr_expect(dt.has_time && dt.has_zone);
        cr_expect_eq(dt.off_min, 330);
        cr_expect_eq(dt.hour, 10); /* as written; vl_date_epoch() is UTC */
}

Test(date, formats_any_epoch)
{
        char out[VL_DATE_LEN];

        vl_date_format(0, out);
        cr_expect_str_eq(out, "1970-01-01T00:00:00Z");
        vl_date_format(-1, out);
        cr_expect_str_eq(out, "1969-12-31T23:59:59Z");
        vl_date_format(951825600, out);
        cr_expect_str_eq(out, "2000-02-29T12:00:00Z");
}

/* -------------------------------------------------- loose (page dates) */

Test(date, iso_8601)
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
        ok("1989-12-31", "1989-12-31"); /* plausibility is the caller's */
        ok("2024-03-12T10:05:00Z (Europe/Paris)", "2024-03-12T10:05:00Z");
}

Test(date, rfc_822)
{
        ok("Tue, 12 Mar 2024 10:05:00 +0100", "2024-03-12T09:05:00Z");
        ok("Tue, 12 Mar 2024 10:05:00 GMT", "2024-03-12T10:05:00Z");
        ok("12 Mar 2024 10:05 EST", "2024-03-12T15:05:00Z");
        ok("Tue, 12 Mar 24 10:05:00 Z", "2024-03-12T10:05:00Z");
        ok("Tue, 12 Mar 2024 10:05:00", "2024-03-12T10:05:00");
}

Test(date, words)
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
        ok("12 mars 2024, 10:05 \xe2\x88\x92" "02:00",
           "2024-03-12T12:05:00Z");
}

Test(date, epoch)
{
        ok("1710237900", "2024-03-12T10:05:00Z");
        ok("1710237900123", "2024-03-12T10:05:00Z");
}

Test(date, refuses)
{
        no("");
        no("hier");
        no("0000-00-00 00:00:00");
        no("2024-02-30");
        no("2024-13-01");
        no("2024-03-12T25:00:00");
        no("12 mars");                  /* no year */
        no("Le ministre a parlé");
        no(NULL);
}

Test(date, month_names_in_both_modes)
{
        utc("12 mars 2024", "2024-03-12T00:00:00Z");
        utc("Tue, 12 Sept 2023 10:05 +0200", "2023-09-12T08:05:00Z");
        ok("12.03.69", "2069-03-12");
        ok("12.03.70", "1970-03-12");
}
