// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

interface IERC20Like {
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

interface IPlonkKeyVerifier {
    function verifyProof(uint256[24] calldata proof, uint256[] calldata pubSignals) external view returns (bool);
}

/// @title Settlement — darkmatch's ledger anchored on an EVM chain, with its collateral vault.
/// @notice Stores the height, the last block hash, each account's state commitment and the
/// committee (addresses and stakes). `settle` accepts block height + 1 on the stored hash when
/// the PLONK proof verifies on the block's public inputs, committee signatures over the block
/// hash hold more than 2/3 of the stake and the block's old commitments are the stored ones.
///
/// Block hash (what the committee signs, EIP-191 "\x19Ethereum Signed Message:\n32" + hash):
///   keccak256(abi.encode(BLOCK_TAG, ledgerId, height, parent,
///                        keccak256(public inputs as 32-byte words), keccak256(24 proof words)))
/// It names no chain id and no contract address: one certificate settles the same block on
/// every chain the ledger is anchored to; `ledgerId` (fixed at deployment) keeps ledgers apart.
///
/// Public-input layout (deployment parameters, so the circuit can grow): nGlobals global fields
/// (the height at heightIndex), nOrders order slots of orderFields each, then nAccounts account
/// slots of accountFields each, in which the active flag, id, old and new commitment sit at the
/// given offsets; then, when flowFields > 0, a flow group of nAccounts slots of flowFields each
/// (flow slot k belongs to account slot k), in which deposit and withdrawal sit at their offsets.
/// With flowFields = 0 the deposit and withdrawal offsets are inside the account slot instead.
/// tailFields more inputs may follow (Settlement does not read them; Escape reads the batch
/// circuit's encrypted group there).
/// An offset is NONE where the circuit has no such field.
///
/// Deposits queue here; a block consumes a prefix of the queue in order: walking its active
/// account slots in order, each slot with a deposit d > 0 consumes the next entry, which must
/// be (that slot's account, d). Withdrawals: a slot's withdrawal w > 0 becomes claimable by
/// the account's registered owner address (set at genesis, moved only by the owner).
/// Security budget: deposits keep the collateral held at most capBps / 10^4 of the stake.
/// Governance (committee and cap changes) needs the same > 2/3 quorum, over
/// keccak256(abi.encode(tag, ledgerId, govNonce, …)); the nonce makes each approval single-use.
contract Settlement {
    bytes32 public constant BLOCK_TAG = keccak256("darkmatch.settlement.block.v1");
    bytes32 public constant COMMITTEE_TAG = keccak256("darkmatch.settlement.committee.v1");
    bytes32 public constant CAP_TAG = keccak256("darkmatch.settlement.cap.v1");
    uint256 public constant NONE = type(uint256).max;
    uint256 public constant MAX_AMOUNT = (1 << 64) - 1;   // the circuit's flow bound (FLOW_BITS)
    uint256 private constant HALF_ORDER =
        0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    struct Layout {
        uint256 nGlobals;
        uint256 heightIndex;
        uint256 nOrders;
        uint256 orderFields;
        uint256 nAccounts;
        uint256 accountFields;
        uint256 offActive;
        uint256 offId;
        uint256 offOld;
        uint256 offNew;
        uint256 offDeposit;
        uint256 offWithdraw;
        uint256 flowFields;     // 0: deposit/withdraw inside the account slot
        uint256 tailFields;     // fields after the account slots / flow group (e.g. ciphertexts)
    }

    struct Genesis {
        bytes32 ledgerId;
        bytes32 blockHash;      // hash of the ledger's block at `height`
        uint256 height;
        address[] members;      // strictly increasing
        uint256[] stakes;
        uint256 capBps;
        uint256[] accounts;
        uint256[] commitments;
        address[] owners;
    }

    struct Deposit {
        uint256 account;
        uint256 amount;
    }

    IPlonkKeyVerifier public immutable verifier;
    IERC20Like public immutable token;
    bytes32 public immutable ledgerId;
    uint256 public immutable nPublic;
    uint256 private immutable accountBase;
    uint256 private immutable nGlobals_;
    uint256 private immutable heightIndex_;
    uint256 private immutable nAccounts_;
    uint256 private immutable accountFields_;
    uint256 private immutable offActive_;
    uint256 private immutable offId_;
    uint256 private immutable offOld_;
    uint256 private immutable offNew_;
    uint256 private immutable offDeposit_;
    uint256 private immutable offWithdraw_;
    uint256 private immutable flowBase;       // first flow field of slot 0 (minus accountBase)
    uint256 private immutable flowStride;     // fields from one slot's flows to the next's

    uint256 public height;
    bytes32 public lastBlockHash;
    uint256 public lastSettledAt;
    /// @notice hook for the escape hatch (issue 14): a frozen contract accepts no block/deposit
    bool public frozen;

    mapping(uint256 => uint256) public commitmentOf;
    mapping(uint256 => address) public ownerOf;
    mapping(uint256 => uint256) public claimable;

    address[] private members_;
    mapping(address => uint256) public stakeOf;
    uint256 public totalStake;
    uint256 public capBps;
    uint256 public govNonce;

    mapping(uint256 => Deposit) public depositAt;
    uint256 public depositHead;     // next entry a block consumes
    uint256 public depositTail;     // next free index
    uint256 public collateral;      // tokens held: deposits in, claims out
    uint256 public owed;            // claimable but not yet claimed

    event Settled(uint256 indexed height, bytes32 blockHash, uint256 depositHead);
    event Deposited(uint256 indexed index, uint256 indexed account, uint256 amount, address from);
    event Withdrawable(uint256 indexed account, uint256 amount, uint256 height);
    event Claimed(uint256 indexed account, address to, uint256 amount);
    event CommitteeChanged(uint256 govNonce, uint256 totalStake);
    event CapChanged(uint256 govNonce, uint256 capBps);
    event OwnerChanged(uint256 indexed account, address owner);

    error Frozen();
    error WrongHeight(uint256 expected);
    error WrongParent(bytes32 expected);
    error WrongLayout(uint256 expected);
    error BadProof();
    error BadSignature(uint256 index);
    error UnsortedSigners(uint256 index);
    error NotMember(address signer);
    error InsufficientStake(uint256 signed, uint256 total);
    error StaleCommitment(uint256 account);
    error DepositMismatch(uint256 slot, uint256 queueIndex);
    error BadCommittee();
    error BadGenesis();
    error BadAmount();
    error UnknownAccount(uint256 account);
    error CapExceeded(uint256 cap);
    error TransferFailed();
    error NotOwner(uint256 account);
    error NothingToClaim(uint256 account);
    error Insolvent(uint256 owed, uint256 collateral);

    constructor(IPlonkKeyVerifier verifier_, IERC20Like token_, Layout memory l, Genesis memory g) {
        uint256 flowWidth = l.flowFields == 0 ? l.accountFields : l.flowFields;
        if (l.nAccounts == 0 || l.offId >= l.accountFields || l.offOld >= l.accountFields
            || l.offNew >= l.accountFields || l.heightIndex >= l.nGlobals
            || (l.offActive != NONE && l.offActive >= l.accountFields)
            || (l.offDeposit != NONE && l.offDeposit >= flowWidth)
            || (l.offWithdraw != NONE && l.offWithdraw >= flowWidth)) revert WrongLayout(0);
        verifier = verifier_;
        token = token_;
        ledgerId = g.ledgerId;
        accountBase = l.nGlobals + l.nOrders * l.orderFields;
        nPublic = accountBase + l.nAccounts * (l.accountFields + l.flowFields) + l.tailFields;
        flowBase = l.flowFields == 0 ? 0 : l.nAccounts * l.accountFields;
        flowStride = flowWidth;
        nGlobals_ = l.nGlobals;
        heightIndex_ = l.heightIndex;
        nAccounts_ = l.nAccounts;
        accountFields_ = l.accountFields;
        offActive_ = l.offActive;
        offId_ = l.offId;
        offOld_ = l.offOld;
        offNew_ = l.offNew;
        offDeposit_ = l.offDeposit;
        offWithdraw_ = l.offWithdraw;
        height = g.height;
        lastBlockHash = g.blockHash;
        lastSettledAt = block.timestamp;
        _setCommittee(g.members, g.stakes);
        capBps = g.capBps;
        if (g.accounts.length != g.commitments.length || g.accounts.length != g.owners.length) revert BadGenesis();
        for (uint256 i = 0; i < g.accounts.length; i++) {
            if (g.commitments[i] == 0 || commitmentOf[g.accounts[i]] != 0) revert BadGenesis();
            commitmentOf[g.accounts[i]] = g.commitments[i];
            ownerOf[g.accounts[i]] = g.owners[i];
        }
    }

    // ---------------------------------------------------------------- blocks

    /// @notice The hash the committee signs for a block (see the contract's notice).
    function blockHash(uint256 height_, bytes32 parent, uint256[] calldata pub, uint256[24] calldata proof)
        public view returns (bytes32)
    {
        return keccak256(abi.encode(BLOCK_TAG, ledgerId, height_, parent,
                                    keccak256(abi.encodePacked(pub)), keccak256(abi.encodePacked(proof))));
    }

    /// @notice Settle block `height_` on `parent` with its public inputs, proof and the committee's
    /// signatures (65-byte r ‖ s ‖ v each, signers in strictly increasing address order).
    function settle(uint256 height_, bytes32 parent, uint256[] calldata pub, uint256[24] calldata proof,
                    bytes calldata signatures) external {
        if (frozen) revert Frozen();
        if (height_ != height + 1) revert WrongHeight(height + 1);
        if (parent != lastBlockHash) revert WrongParent(lastBlockHash);
        if (pub.length != nPublic) revert WrongLayout(nPublic);
        if (pub[heightIndex_] != height_) revert WrongHeight(height + 1);
        bytes32 h = blockHash(height_, parent, pub, proof);
        _requireQuorum(h, signatures);
        if (!verifier.verifyProof(proof, pub)) revert BadProof();
        _applyAccountSlots(pub, height_);
        if (owed > collateral) revert Insolvent(owed, collateral);
        height = height_;
        lastBlockHash = h;
        lastSettledAt = block.timestamp;
        _settled(pub);
        emit Settled(height_, h, depositHead);
    }

    /// @dev Hooks for extensions (Escape.sol): each active account slot k of an accepted block
    /// with its account id and withdrawal (0 without one), then the block's public inputs.
    function _slotSettled(uint256[] calldata pub, uint256 k, uint256 id, uint256 withdrawn) internal virtual {}

    function _settled(uint256[] calldata pub) internal virtual {}

    function _applyAccountSlots(uint256[] calldata pub, uint256 height_) private {
        uint256 head = depositHead;
        for (uint256 k = 0; k < nAccounts_; k++) {
            uint256 base = accountBase + k * accountFields_;
            if (offActive_ != NONE && pub[base + offActive_] == 0) continue;
            uint256 id = pub[base + offId_];
            if (commitmentOf[id] != pub[base + offOld_]) revert StaleCommitment(id);
            commitmentOf[id] = pub[base + offNew_];
            uint256 flow = accountBase + flowBase + k * flowStride;
            if (offDeposit_ != NONE) {
                uint256 d = pub[flow + offDeposit_];
                if (d != 0) {
                    Deposit storage e = depositAt[head];
                    if (head >= depositTail || e.account != id || e.amount != d) revert DepositMismatch(k, head);
                    delete depositAt[head];
                    head++;
                }
            }
            uint256 w = 0;
            if (offWithdraw_ != NONE) {
                w = pub[flow + offWithdraw_];
                if (w != 0) {
                    claimable[id] += w;
                    owed += w;
                    emit Withdrawable(id, w, height_);
                }
            }
            _slotSettled(pub, k, id, w);
        }
        depositHead = head;
    }

    // ---------------------------------------------------------------- committee

    function members() external view returns (address[] memory addrs, uint256[] memory stakes) {
        addrs = members_;
        stakes = new uint256[](addrs.length);
        for (uint256 i = 0; i < addrs.length; i++) stakes[i] = stakeOf[addrs[i]];
    }

    /// @notice Digest a committee change is approved over.
    function committeeChangeHash(address[] calldata newMembers, uint256[] calldata newStakes)
        public view returns (bytes32)
    {
        return keccak256(abi.encode(COMMITTEE_TAG, ledgerId, govNonce, newMembers, newStakes));
    }

    /// @notice Replace the committee, approved by > 2/3 of the current committee's stake.
    function changeCommittee(address[] calldata newMembers, uint256[] calldata newStakes, bytes calldata signatures)
        external
    {
        _requireQuorum(committeeChangeHash(newMembers, newStakes), signatures);
        for (uint256 i = 0; i < members_.length; i++) delete stakeOf[members_[i]];
        delete members_;
        _setCommittee(newMembers, newStakes);
        govNonce++;
        emit CommitteeChanged(govNonce, totalStake);
    }

    function capChangeHash(uint256 newCapBps) public view returns (bytes32) {
        return keccak256(abi.encode(CAP_TAG, ledgerId, govNonce, newCapBps));
    }

    /// @notice Change the collateral cap (basis points of the total stake), by quorum.
    function changeCap(uint256 newCapBps, bytes calldata signatures) external {
        _requireQuorum(capChangeHash(newCapBps), signatures);
        capBps = newCapBps;
        govNonce++;
        emit CapChanged(govNonce, newCapBps);
    }

    function _setCommittee(address[] memory addrs, uint256[] memory stakes) private {
        if (addrs.length == 0 || addrs.length != stakes.length) revert BadCommittee();
        uint256 total = 0;
        address last = address(0);
        for (uint256 i = 0; i < addrs.length; i++) {
            if (addrs[i] <= last || stakes[i] == 0) revert BadCommittee();
            last = addrs[i];
            stakeOf[addrs[i]] = stakes[i];
            members_.push(addrs[i]);
            total += stakes[i];
        }
        totalStake = total;
    }

    /// @dev Signers recovered from EIP-191 signatures over `digest`, strictly increasing, all
    /// members, together holding more than 2/3 of the stake (signed * 3 > total * 2).
    function _requireQuorum(bytes32 digest, bytes calldata signatures) internal view {
        if (signatures.length % 65 != 0) revert BadSignature(signatures.length / 65);
        bytes32 ethHash = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
        uint256 signed = 0;
        address last = address(0);
        for (uint256 i = 0; i < signatures.length / 65; i++) {
            bytes32 r = bytes32(signatures[i * 65:i * 65 + 32]);
            bytes32 s = bytes32(signatures[i * 65 + 32:i * 65 + 64]);
            uint8 v = uint8(signatures[i * 65 + 64]);
            if (uint256(s) > HALF_ORDER || (v != 27 && v != 28)) revert BadSignature(i);
            address signer = ecrecover(ethHash, v, r, s);
            if (signer == address(0)) revert BadSignature(i);
            if (signer <= last) revert UnsortedSigners(i);
            last = signer;
            uint256 stake = stakeOf[signer];
            if (stake == 0) revert NotMember(signer);
            signed += stake;
        }
        if (signed * 3 <= totalStake * 2) revert InsufficientStake(signed, totalStake);
    }

    // ---------------------------------------------------------------- vault

    /// @notice Most collateral the vault may hold: capBps / 10^4 of the committee's stake.
    function collateralCap() public view returns (uint256) {
        return totalStake * capBps / 10000;
    }

    /// @notice Pull `amount` tokens from the caller and queue them for `account`.
    function deposit(uint256 account, uint256 amount) external {
        if (frozen) revert Frozen();
        if (amount == 0 || amount > MAX_AMOUNT) revert BadAmount();
        if (commitmentOf[account] == 0) revert UnknownAccount(account);
        uint256 cap = collateralCap();
        if (collateral + amount > cap) revert CapExceeded(cap);
        collateral += amount;
        uint256 index = depositTail++;
        depositAt[index] = Deposit(account, amount);
        _call(abi.encodeCall(IERC20Like.transferFrom, (msg.sender, address(this), amount)));
        emit Deposited(index, account, amount, msg.sender);
    }

    /// @notice Pay the caller what the settled blocks made claimable for `account` it owns.
    function claim(uint256 account) external {
        if (msg.sender != ownerOf[account]) revert NotOwner(account);
        uint256 amount = claimable[account];
        if (amount == 0) revert NothingToClaim(account);
        claimable[account] = 0;
        owed -= amount;
        collateral -= amount;
        _call(abi.encodeCall(IERC20Like.transfer, (msg.sender, amount)));
        emit Claimed(account, msg.sender, amount);
    }

    /// @notice The owner moves its account's withdrawal address.
    function setOwner(uint256 account, address newOwner) external {
        if (msg.sender != ownerOf[account] || newOwner == address(0)) revert NotOwner(account);
        ownerOf[account] = newOwner;
        emit OwnerChanged(account, newOwner);
    }

    function pendingDeposits() external view returns (uint256) {
        return depositTail - depositHead;
    }

    function _call(bytes memory data) internal {
        (bool ok, bytes memory ret) = address(token).call(data);
        if (!ok || (ret.length != 0 && !abi.decode(ret, (bool)))) revert TransferFailed();
    }
}
