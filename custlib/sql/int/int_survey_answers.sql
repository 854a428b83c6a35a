-- int_survey_answers: every interaction that carries an answer, NPS or satisfaction, numbered in the order
-- the customer gave them (grain: dataset_id, import_id, source_row). A view without parameters.
--
-- The latest-answer rule: a customer's latest answer as of a date is the one with the highest
-- answer_number on or before it. Answers are numbered by interaction_at, ties by the row stored last
-- (import_id, then source_row); an answer's number never depends on later answers, so the rule reads
-- nothing after the date.
--
-- Column contract: the columns of stg_interactions, and
--   answer_number  BIGINT  1 = the customer's first answer
with answers as (
    select * from stg_interactions
    where customer_id is not null
      and interaction_at is not null
      and (nps_score is not null or satisfaction is not null)
),

final as (
    select
        *,
        row_number() over (
            partition by dataset_id, customer_id order by interaction_at, import_id, source_row) as answer_number
    from answers
)

select * from final
