"""DataLoader, samplers, Subset and random_split against torch.utils.data's behaviour."""

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import backprop as bp
from backprop.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    random_split,
)


def _dataset(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(bp.tensor(x), bp.tensor(y)), x, y


class ListDataset(Dataset):
    """A dataset with no fast path: samples come one by one from Python."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return bp.tensor(self.x[i]), int(self.y[i])


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True),
                                                      (5, 7, False), (5, 7, True), (4, 1, False)])
def test_sequential_batches_match_torch(n, batch_size, drop_last):
    ds, x, y = _dataset(n)
    ours = list(DataLoader(ds, batch_size=batch_size, drop_last=drop_last))
    theirs = list(tud.DataLoader(tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                 batch_size=batch_size, drop_last=drop_last))
    loader = DataLoader(ds, batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(theirs) == len(ours)
    for (bx, by), (tx, ty) in zip(ours, theirs, strict=True):
        assert isinstance(bx, bp.Tensor) and isinstance(by, bp.Tensor)
        assert bx.dtype == np.float32 and by.dtype == np.int64
        np.testing.assert_array_equal(bx.numpy(), tx.numpy())
        np.testing.assert_array_equal(by.numpy(), ty.numpy())


def test_slow_path_collates_like_torch():
    ds, x, y = _dataset(7)
    slow = ListDataset(x, y)
    ours = list(DataLoader(slow, batch_size=3))
    theirs = list(tud.DataLoader(
        [(torch.from_numpy(x[i]), int(y[i])) for i in range(7)], batch_size=3))
    for (bx, by), (tx, ty) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(bx.numpy(), tx.numpy())
        np.testing.assert_array_equal(by.numpy(), ty.numpy())
        assert str(by.dtype) == str(ty.dtype).removeprefix("torch.")


def test_default_collate_types_match_torch():
    batch = [{"a": 1.5, "b": [np.ones(2, np.float32), 2], "c": "x"},
             {"a": 2.5, "b": [np.zeros(2, np.float32), 3], "c": "y"}]
    ours = default_collate(batch)
    theirs = tud.default_collate(batch)
    assert ours["a"].dtype == np.float64 and theirs["a"].dtype == torch.float64
    np.testing.assert_array_equal(ours["a"].numpy(), theirs["a"].numpy())
    np.testing.assert_array_equal(ours["b"][0].numpy(), theirs["b"][0].numpy())
    assert ours["b"][1].dtype == np.int64 and theirs["b"][1].dtype == torch.int64
    assert ours["c"] == theirs["c"] == ["x", "y"]


def test_shuffle_is_a_permutation_each_epoch_and_epochs_differ():
    ds, x, y = _dataset(50)
    loader = DataLoader(ds, batch_size=8, shuffle=True, seed=3)
    epochs = [np.concatenate([by.numpy() for _, by in loader]) for _ in range(2)]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(50))
        assert order.tolist() != list(range(50))
    assert epochs[0].tolist() != epochs[1].tolist()
    for bx, by in loader:  # features stay paired with their labels
        np.testing.assert_array_equal(bx.numpy(), x[by.numpy()])


def test_seed_makes_runs_repeat_and_differs_between_seeds():
    ds, _, _ = _dataset(40)

    def run(seed):
        loader = DataLoader(ds, batch_size=5, shuffle=True, seed=seed)
        return [by.tolist() for _ in range(3) for _, by in loader]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_without_seed_shuffle_follows_manual_seed():
    ds, _, _ = _dataset(40)

    def run():
        return [by.tolist() for _, by in DataLoader(ds, batch_size=40, shuffle=True)]

    bp.manual_seed(123)
    first = run()
    bp.manual_seed(123)
    assert run() == first
    assert run() != first  # the global stream moved on


def test_shuffled_fast_and_slow_paths_agree():
    ds, x, y = _dataset(23)
    fast = [by.tolist() for _, by in DataLoader(ds, batch_size=4, shuffle=True, seed=9)]
    slow = [by.tolist() for _, by in DataLoader(ListDataset(x, y), batch_size=4, shuffle=True,
                                                 seed=9)]
    assert fast == slow


def test_fast_path_indexes_arrays_instead_of_samples(monkeypatch):
    ds, _, _ = _dataset(1000)

    def forbidden(self, index):
        raise AssertionError("the fast path must not read samples one by one")

    monkeypatch.setattr(TensorDataset, "__getitem__", forbidden)
    batches = list(DataLoader(ds, batch_size=100, shuffle=True, seed=0))
    assert len(batches) == 10 and batches[0][0].shape == (100, 3)


def test_collate_fn_and_batch_size_none():
    ds, x, _ = _dataset(6)
    sums = list(DataLoader(ds, batch_size=4, collate_fn=lambda b: len(b)))
    assert sums == [4, 2]
    single = list(DataLoader(ds, batch_size=None))
    assert len(single) == 6 and single[2][0].shape == (3,)
    np.testing.assert_array_equal(single[2][0].numpy(), x[2])


def test_sampler_and_batch_sampler_options():
    ds, _, _ = _dataset(10)
    loader = DataLoader(ds, batch_size=2, sampler=[9, 8, 7, 1, 0])
    assert [by.tolist() for _, by in loader] == [[9, 8], [7, 1], [0]]
    loader = DataLoader(ds, batch_sampler=[[3, 1], [2]])
    assert [by.tolist() for _, by in loader] == [[3, 1], [2]]
    assert len(loader) == 2
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=3)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=0)


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (3, 5, True)])
def test_batch_sampler_matches_torch(n, batch_size, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)


def test_random_samplers():
    sampler = RandomSampler(range(10), generator=bp.Generator(0))
    order = list(sampler)
    assert sorted(order) == list(range(10)) and len(sampler) == 10
    more = RandomSampler(range(4), num_samples=10, generator=bp.Generator(0))
    drawn = list(more)
    assert len(drawn) == 10
    assert sorted(drawn[:4]) == [0, 1, 2, 3] and sorted(drawn[4:8]) == [0, 1, 2, 3]
    with_replacement = list(RandomSampler(range(3), replacement=True, num_samples=50))
    assert len(with_replacement) == 50 and set(with_replacement) <= {0, 1, 2}
    subset = list(SubsetRandomSampler([5, 7, 9]))
    assert sorted(subset) == [5, 7, 9]


@pytest.mark.parametrize("n, lengths", [(10, [3, 7]), (10, [0.5, 0.5]), (11, [0.3, 0.3, 0.4]),
                                        (7, [0.1, 0.2, 0.7]), (100, [0.8, 0.2])])
def test_random_split_lengths_match_torch(n, lengths):
    ours = random_split(range(n), lengths, generator=bp.Generator(0))
    theirs = tud.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    everything = sorted(i for s in ours for i in s)
    assert everything == list(range(n))


def test_random_split_errors_and_subset_fast_path():
    with pytest.raises(ValueError, match="sum to 9"):
        random_split(range(10), [4, 5])
    ds, x, y = _dataset(20)
    train, test = random_split(ds, [15, 5])
    assert isinstance(train, Subset)
    batches = list(DataLoader(test, batch_size=5))
    np.testing.assert_array_equal(batches[0][1].numpy(), np.asarray(test.indices))
    np.testing.assert_array_equal(batches[0][0].numpy(), x[test.indices])
    assert test[0][1].item() == test.indices[0]


def test_tensor_dataset_and_concat():
    ds, x, y = _dataset(4)
    assert len(ds) == 4
    sample = ds[2]
    np.testing.assert_array_equal(sample[0].numpy(), x[2])
    with pytest.raises(ValueError, match=r"same first dimension.*\(3, 2\).*\(4,\)"):
        TensorDataset(bp.zeros(3, 2), bp.zeros(4))
    both = ds + ds
    assert isinstance(both, ConcatDataset) and len(both) == 8
    assert both[5][1].item() == 1 and both[-1][1].item() == 3
    with pytest.raises(IndexError):
        both[8]
