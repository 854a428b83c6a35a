-- stg_datasets: the dataset registry (grain: dataset_id). A view without parameters, made by custlib.db.
--
-- Column contract:
--   dataset_id  INTEGER
--   name        VARCHAR  unique
--   version     INTEGER  goes up on every change to the dataset (the app's cache key)
--   is_active   BOOLEAN  the dataset the app opens on
--   created_at, updated_at  TIMESTAMP
with source as (
    select * from datasets
),

final as (
    select dataset_id, name, version, is_active, created_at, updated_at
    from source
)

select * from final
