-- stg_interactions: every stored interaction (calls, visits, tickets, complaints, survey answers), typed
-- (grain: dataset_id, import_id, source_row). A view without parameters, made by custlib.db.
--
-- An answer outside its scale is not an answer: NPS is 0-10, satisfaction 1-5 (imports refuse such cells;
-- the rule is repeated here so that no model can read one).
--
-- Column contract:
--   dataset_id, import_id, source_row
--   customer_id       VARCHAR
--   interaction_at    TIMESTAMP
--   interaction_date  DATE      the day of interaction_at
--   kind              VARCHAR   lower case (custlib.db.INTERACTION_KINDS)
--   nps_score         INTEGER   0-10, else NULL
--   satisfaction      INTEGER   1-5, else NULL
with source as (
    select * from interactions
),

final as (
    select
        dataset_id, import_id, source_row,  -- where the row came from: its import and its row in the file
        customer_id,
        interaction_at,
        cast(interaction_at as date) as interaction_date,
        lower(kind) as kind,
        case when nps_score between 0 and 10 then nps_score end as nps_score,
        case when satisfaction between 1 and 5 then satisfaction end as satisfaction
    from source
)

select * from final
