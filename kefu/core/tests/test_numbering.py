"""R3.3: serials per key are consecutive and a rolled-back use leaves no gap."""

import pytest
from django.db import transaction

from kefu.core.numbering import next_serial


@pytest.mark.django_db
def test_serials_count_up_per_key_and_restart_for_a_new_key():
    with transaction.atomic():
        assert [next_serial("complaint:202611") for _ in range(3)] == [1, 2, 3]
        assert next_serial("complaint:202612") == 1


@pytest.mark.django_db
def test_a_rolled_back_transaction_gives_its_number_back():
    with transaction.atomic():
        assert next_serial("k") == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_serial("k") == 2
        raise RuntimeError("insert failed")
    with transaction.atomic():
        assert next_serial("k") == 2


@pytest.mark.django_db(transaction=True)
def test_serial_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="transaction"):
        next_serial("k")
