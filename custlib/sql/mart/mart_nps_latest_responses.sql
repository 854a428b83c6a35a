-- One row per customer (and period, unless $grain = 'all') with the customer's latest answers as
-- known on $as_of: the latest NPS score (0-10) and, separately, the latest satisfaction (1-5).
-- Grain: (customer_id, period_start). Parameters: $dataset_id, $as_of (date), $since (date or NULL:
-- no lower bound), $grain ('all' | 'week' | 'month' | 'quarter'; weeks start on Monday).
--
-- With a period grain only periods that have ended on or before $as_of are returned. Answers are
-- int_survey_answers (out-of-scale answers are none). Customer attributes are today's (stg_customers, and
-- the region rule of int_customer_regions): the customers table keeps no history.
-- Columns: customer_id, period_start, period_end, nps_score, satisfaction, region, industry,
-- company_size, account_manager.
with params as (
    -- the chosen grain and its period length (int_period_grains; NULL for a grain it does not list)
    select
        cast($as_of as date) as as_of_date,
        cast($since as date) as since_date,
        chosen.grain,
        g.period_length
    from (select cast($grain as varchar) as grain) as chosen
    left join int_period_grains as g using (grain)
),

responses as (
    select
        i.customer_id,
        i.answer_number,
        i.nps_score,
        i.satisfaction,
        case when p.grain <> 'all'
             then cast(date_trunc(case when p.grain = 'all' then 'month' else p.grain end, i.interaction_at) as date)
        end as period_start
    from int_survey_answers as i
    cross join params as p
    where i.dataset_id = $dataset_id
      and i.interaction_date <= p.as_of_date  -- all of the as_of day, nothing after
      and (p.since_date is null or i.interaction_at >= p.since_date)
),

latest_answers as (
    -- the latest-answer rule of int_survey_answers, per customer and period, for NPS and satisfaction apart
    select
        customer_id,
        period_start,
        arg_max(nps_score, answer_number) filter (where nps_score is not null) as nps_score,
        arg_max(satisfaction, answer_number) filter (where satisfaction is not null) as satisfaction
    from responses
    group by customer_id, period_start
),

customer_attributes as (
    -- every customer with a record or a line (int_customer_regions lists both)
    select r.customer_id, r.region, c.industry, c.company_size, c.account_manager
    from int_customer_regions as r
    left join stg_customers as c
        on c.dataset_id = r.dataset_id and c.customer_id = r.customer_id
    where r.dataset_id = $dataset_id
      and (r.region_known_from is null or r.region_known_from <= cast($as_of as date))
),

final as (
    select
        a.customer_id,
        a.period_start,
        cast(a.period_start + p.period_length as date) - 1 as period_end,
        a.nps_score,
        a.satisfaction,
        c.region,
        c.industry,
        c.company_size,
        c.account_manager
    from latest_answers as a
    cross join params as p
    left join customer_attributes as c using (customer_id)
    where p.grain = 'all' or cast(a.period_start + p.period_length as date) - 1 <= p.as_of_date
)

select * from final order by period_start, customer_id
