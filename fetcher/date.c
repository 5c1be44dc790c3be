/* Feed dates: RFC 822 in RSS ("Tue, 10 Jun 2003 04:00:00 GMT", often
 * sloppy), ISO 8601 / RFC 3339 in Atom and Dublin Core. Normalised to UTC
 * "2003-06-10T04:00:00Z". Civil-date arithmetic is done here rather than
 * with timegm(), which is not POSIX. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "veille/mem.h"
#include "fetcher.h"

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
        int64_t era;
        int64_t yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
        int64_t era, doe, yoe, doy, mp;

        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = z - era * 146097;
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        *d = (int)(doy - (153 * mp + 2) / 5 + 1);
        *m = (int)(mp < 10 ? mp + 3 : mp - 9);
        *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
        static const int dm[12] = { 31, 28, 31, 30, 31, 30,
                                    31, 31, 30, 31, 30, 31 };
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

        return m == 2 && leap ? 29 : dm[m - 1];
}

struct tm_parts {
        int64_t year;
        int mon, day, hour, min, sec;
        int off_min; /* east of UTC */
};

static enum vl_rc to_epoch(const struct tm_parts *tp, int64_t *t)
{
        if (tp->year < 1800 || tp->year > 9999 || tp->mon < 1 ||
            tp->mon > 12 || tp->day < 1 ||
            tp->day > days_in_month(tp->year, tp->mon) || tp->hour < 0 ||
            tp->hour > 24 || tp->min < 0 || tp->min > 59 || tp->sec < 0 ||
            tp->sec > 60)
                return VL_REJECT;
        if (tp->hour == 24 && (tp->min || tp->sec))
                return VL_REJECT;
        *t = days_from_civil(tp->year, tp->mon, tp->day) * 86400 +
             tp->hour * 3600 + tp->min * 60 + (tp->sec == 60 ? 59 : tp->sec) -
             (int64_t)tp->off_min * 60;
        return VL_OK;
}

/* Read exactly @p n digits (or 1..n when @p atmost). */
static bool digits(const char **pp, int n, bool atmost, int *out)
{
        const char *p = *pp;
        int v = 0;
        int k = 0;

        while (k < n && isdigit((unsigned char)p[k])) {
                v = v * 10 + (p[k] - '0');
                k++;
        }
        if (k == 0 || (!atmost && k != n))
                return false;
        *pp = p + k;
        *out = v;
        return true;
}

static void skip_ws(const char **pp)
{
        while (isspace((unsigned char)**pp))
                (*pp)++;
}

/* "+hh:mm", "+hhmm", "+hh" or "Z"; @p p at the sign. */
static bool numeric_zone(const char **pp, int *off)
{
        const char *p = *pp;
        int sign, h, m = 0;

        if (*p == 'Z' || *p == 'z') {
                *off = 0;
                *pp = p + 1;
                return true;
        }
        if (*p != '+' && *p != '-')
                return false;
        sign = *p == '-' ? -1 : 1;
        p++;
        if (!digits(&p, 2, false, &h))
                return false;
        if (*p == ':')
                p++;
        if (isdigit((unsigned char)*p) && !digits(&p, 2, false, &m))
                return false;
        if (h > 14 || m > 59)
                return false;
        *off = sign * (h * 60 + m);
        *pp = p;
        return true;
}

static enum vl_rc parse_iso(const char *s, int64_t *t)
{
        struct tm_parts tp = { 0 };
        const char *p = s;
        int y;

        skip_ws(&p);
        if (!digits(&p, 4, false, &y) || *p++ != '-' ||
            !digits(&p, 2, false, &tp.mon) || *p++ != '-' ||
            !digits(&p, 2, false, &tp.day))
                return VL_REJECT;
        tp.year = y;
        if (*p == 'T' || *p == 't' ||
            (*p == ' ' && isdigit((unsigned char)p[1]))) {
                p++;
                if (!digits(&p, 2, false, &tp.hour) || *p++ != ':' ||
                    !digits(&p, 2, false, &tp.min))
                        return VL_REJECT;
                if (*p == ':') {
                        p++;
                        if (!digits(&p, 2, false, &tp.sec))
                                return VL_REJECT;
                        if (*p == '.' || *p == ',') {
                                p++;
                                if (!isdigit((unsigned char)*p))
                                        return VL_REJECT;
                                while (isdigit((unsigned char)*p))
                                        p++;
                        }
                }
                skip_ws(&p);
                if (*p && !numeric_zone(&p, &tp.off_min))
                        return VL_REJECT;
        }
        skip_ws(&p);
        if (*p)
                return VL_REJECT;
        return to_epoch(&tp, t);
}

static int month_of(const char *p, size_t n)
{
        static const char *const mons[12] = { "jan", "feb", "mar", "apr",
                                              "may", "jun", "jul", "aug",
                                              "sep", "oct", "nov", "dec" };
        int i;

        if (n < 3)
                return 0;
        for (i = 0; i < 12; i++)
                if (!strncasecmp(p, mons[i], 3))
                        return i + 1;
        return 0;
}

static const struct {
        const char *name;
        int off_min;
} zones[] = {
        { "UT", 0 },      { "UTC", 0 },     { "GMT", 0 },     { "Z", 0 },
        { "EST", -300 },  { "EDT", -240 },  { "CST", -360 },  { "CDT", -300 },
        { "MST", -420 },  { "MDT", -360 },  { "PST", -480 },  { "PDT", -420 },
        { "WET", 0 },     { "WEST", 60 },   { "BST", 60 },    { "CET", 60 },
        { "CEST", 120 },  { "MET", 60 },    { "MEST", 120 },  { "EET", 120 },
        { "EEST", 180 },  { "MSK", 180 },   { "WAT", 60 },    { "CAT", 120 },
        { "EAT", 180 },   { "IST", 330 },   { "JST", 540 },   { "KST", 540 },
        { "HKT", 480 },   { "AEST", 600 },  { "AEDT", 660 },  { NULL, 0 },
};

static bool alpha_zone(const char **pp, int *off)
{
        const char *p = *pp;
        size_t n = 0;
        int i;

        while (isalpha((unsigned char)p[n]))
                n++;
        for (i = 0; zones[i].name; i++) {
                if (strlen(zones[i].name) == n &&
                    !strncasecmp(p, zones[i].name, n)) {
                        *off = zones[i].off_min;
                        *pp = p + n;
                        return true;
                }
        }
        return false;
}

/* RFC 822/1123 and the forms feeds actually use: optional day name, 2- or
 * 4-digit year, optional seconds, '-' between date parts, zone as +hhmm,
 * +hh:mm, a name, or missing (taken as UTC), a "(comment)" at the end. */
static enum vl_rc parse_rfc822(const char *s, int64_t *t)
{
        struct tm_parts tp = { 0 };
        const char *p = s;
        const char *m;
        int y;
        int ny;

        skip_ws(&p);
        if (isalpha((unsigned char)*p)) {
                while (isalpha((unsigned char)*p))
                        p++;
                if (*p == ',')
                        p++;
                skip_ws(&p);
        }
        if (!digits(&p, 2, true, &tp.day))
                return VL_REJECT;
        if (*p == '-' || *p == ' ')
                p++;
        skip_ws(&p);
        for (m = p; isalpha((unsigned char)*p); p++)
                ;
        tp.mon = month_of(m, (size_t)(p - m));
        if (!tp.mon)
                return VL_REJECT;
        if (*p == '.')
                p++;
        if (*p == '-' || *p == ' ')
                p++;
        skip_ws(&p);
        m = p;
        if (!digits(&p, 4, true, &y))
                return VL_REJECT;
        ny = (int)(p - m);
        if (ny == 2)
                y += y < 50 ? 2000 : 1900;
        else if (ny != 4)
                return VL_REJECT;
        tp.year = y;
        skip_ws(&p);
        if (isdigit((unsigned char)*p)) {
                if (!digits(&p, 2, true, &tp.hour) || *p++ != ':' ||
                    !digits(&p, 2, false, &tp.min))
                        return VL_REJECT;
                if (*p == ':') {
                        p++;
                        if (!digits(&p, 2, false, &tp.sec))
                                return VL_REJECT;
                }
                skip_ws(&p);
                if (*p == '+' || *p == '-') {
                        if (!numeric_zone(&p, &tp.off_min))
                                return VL_REJECT;
                } else if (isalpha((unsigned char)*p)) {
                        if (!alpha_zone(&p, &tp.off_min))
                                return VL_REJECT;
                        /* "GMT+0200" */
                        if ((*p == '+' || *p == '-') &&
                            !numeric_zone(&p, &tp.off_min))
                                return VL_REJECT;
                }
        }
        skip_ws(&p);
        if (*p == '(') {
                p = strchr(p, ')');
                if (!p)
                        return VL_REJECT;
                p++;
                skip_ws(&p);
        }
        if (*p)
                return VL_REJECT;
        return to_epoch(&tp, t);
}

enum vl_rc fetcher_date_parse(const char *s, int64_t *t)
{
        if (!s)
                return VL_REJECT;
        if (parse_iso(s, t) == VL_OK)
                return VL_OK;
        return parse_rfc822(s, t);
}

void fetcher_date_format(int64_t t, char out[32])
{
        int64_t days = t / 86400;
        int64_t rem = t % 86400;
        int64_t y;
        int m, d;

        if (rem < 0) {
                rem += 86400;
                days--;
        }
        civil_from_days(days, &y, &m, &d);
        snprintf(out, 32, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m,
                 d, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

char *fetcher_date_normalise(const char *s)
{
        char out[32];
        int64_t t;

        if (fetcher_date_parse(s, &t) != VL_OK)
                return NULL;
        fetcher_date_format(t, out);
        return vl_xstrdup(out);
}
