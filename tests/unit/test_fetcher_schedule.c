/* veille-fetcher: adaptive polling and the conditional-GET guard. */
#include <criterion/criterion.h>
#include "fetcher/fetcher.h"

Test(fetcher_schedule, adapts_within_bounds)
{
        int64_t cur = 0;

        /* new items: faster, down to a quarter of the interval */
        cr_assert_eq(fetcher_poll_delay_ms(300000, &cur, 3, 0, 0), 150000);
        cr_assert_eq(fetcher_poll_delay_ms(300000, &cur, 1, 0, 0), 75000);
        cr_assert_eq(fetcher_poll_delay_ms(300000, &cur, 1, 0, 0), 75000);
        /* nothing new: slower by half each time, up to four times */
        cr_assert_eq(fetcher_poll_delay_ms(300000, &cur, 0, 0, 0), 112500);
        for (int i = 0; i < 20; i++)
                fetcher_poll_delay_ms(300000, &cur, 0, 0, 0);
        cr_assert_eq(cur, 1200000);
        /* a failure neither adapts nor forgets */
        cr_assert_eq(fetcher_poll_delay_ms(300000, &cur, -1, 0, 1), 1200000);
        cr_assert_eq(cur, 1200000);
}

Test(fetcher_schedule, lower_bound_at_least_a_second)
{
        int64_t cur = 0;

        for (int i = 0; i < 10; i++)
                fetcher_poll_delay_ms(2000, &cur, 5, 0, 0);
        cr_assert_eq(cur, 1000);
        cur = 0;
        for (int i = 0; i < 10; i++)
                fetcher_poll_delay_ms(500, &cur, 5, 0, 0);
        cr_assert_eq(cur, 500, "an interval under 1 s is its own floor");
}

Test(fetcher_schedule, publisher_hints_slow_down_within_bounds)
{
        int64_t cur = 0;

        /* ttl 60 min over a 5 min interval: capped at 4 x 5 min */
        cr_assert_eq(fetcher_poll_delay_ms(300000, &cur, 5, 3600, 0),
                     1200000);
        /* a hint below the adapted interval changes nothing */
        cur = 0;
        cr_assert_eq(fetcher_poll_delay_ms(300000, &cur, 0, 60, 0), 450000);
}

Test(fetcher_schedule, failing_sources_back_off)
{
        int64_t cur = 0;

        cr_assert_eq(fetcher_poll_delay_ms(60000, &cur, -1, 0, 1), 60000);
        cr_assert_eq(fetcher_poll_delay_ms(60000, &cur, -1, 0, 2), 120000);
        cr_assert_eq(fetcher_poll_delay_ms(60000, &cur, -1, 0, 4), 480000);
        cr_assert_eq(fetcher_poll_delay_ms(60000, &cur, -1, 0, 40),
                     FETCHER_POLL_MAX_BACKOFF_MS);
}

Test(fetcher_schedule, stale_validators)
{
        /* same ETag over new items: stale */
        cr_assert(fetcher_validators_stale("\"a\"", NULL, "\"a\"", NULL, 2));
        /* a new ETag: the server would have answered 200 */
        cr_assert_not(fetcher_validators_stale("\"a\"", NULL, "\"b\"", NULL,
                                               2));
        /* nothing new: nothing to say */
        cr_assert_not(fetcher_validators_stale("\"a\"", NULL, "\"a\"", NULL,
                                               0));
        /* Last-Modified only */
        cr_assert(fetcher_validators_stale(NULL, "Mon, 01 Jan 2024", NULL,
                                           "Mon, 01 Jan 2024", 1));
        cr_assert_not(fetcher_validators_stale(NULL, "Mon, 01 Jan 2024",
                                               NULL, "Tue, 02 Jan 2024", 1));
        /* ETag rules when either side has one */
        cr_assert_not(fetcher_validators_stale(NULL, "x", "\"a\"", "x", 1));
        cr_assert_not(fetcher_validators_stale(NULL, NULL, NULL, NULL, 1));
}
