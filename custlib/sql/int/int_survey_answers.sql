-- int_survey_answers: every interaction that carries an answer, NPS or satisfaction (grain: dataset_id,
-- import_id, source_row). A view without parameters.
--
-- "A customer's latest answer" is taken as of a date by the marts: the answer with the latest
-- interaction_at on or before it, ties going to the row stored last (import_id, then source_row).
--
-- Column contract:
--   dataset_id, import_id, source_row, customer_id
--   interaction_at    TIMESTAMP
--   interaction_date  DATE
--   nps_score         INTEGER  0-10 or NULL (see stg_interactions)
--   satisfaction      INTEGER  1-5 or NULL
with interactions as (
    select * from stg_interactions
),

final as (
    select
        dataset_id,
        import_id,
        source_row,
        customer_id,
        interaction_at,
        interaction_date,
        nps_score,
        satisfaction
    from interactions
    where customer_id is not null
      and interaction_at is not null
      and (nps_score is not null or satisfaction is not null)
)

select * from final
