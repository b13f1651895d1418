// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import "./Settlement.sol";

/// @title Escape — the settlement contract with forced withdrawals, a freeze and exit proofs.
/// @notice A trader whose withdrawal the operator ignores, or who finds that no block settles at
/// all, does not depend on the operator to get its money out:
///   * `requestWithdrawal(account, amount)`: the account's owner registers a forced withdrawal.
///     A settled block serves it when the account's slot withdraws at least `amount`.
///   * `refuseWithdrawal(account, proof)`: anyone (the operator) cancels a request that no
///     block could serve: a refusal-statement proof (circuits/refusal.py, its own verifier)
///     that withdrawing the requested amount with the position unchanged would leave the
///     stored account below maintenance at the last settled mark,
///     10^4·(equity − amount) < |position|·M·mm, which the batch circuit forbids. So asking
///     for more than one can withdraw cannot freeze the exchange.
///   * `freeze(account)`: anyone, once a request of `account` has waited `freezeAfter` seconds
///     unserved, or (any `account`) once no block has settled for `freezeAfter` seconds. A frozen
///     contract accepts no block and no deposit (Settlement checks `frozen`).
///   * `exit(account, amount, proof)`: on a frozen contract, pays `amount` to the account's owner
///     if the exit proof verifies on (account, its stored commitment, the last settled mark, the
///     last funding index F as F mod r, amount, owner address, block.chainid, address(this)):
///     a proof made for another chain or another deployment does not verify here (nor does a
///     refusal, whose statement names them too). The exit circuit proves that
///     amount = max(0, cash − pos·(F − F_a) + pos·M) for the opening of that commitment, so a
///     proof for another account, a stale commitment or more than the equity does not verify.
///     Each account exits once. The payout goes to the registered owner, never to the caller:
///     the operator, who also knows every opening, cannot divert anyone's exit.
/// Every settled block also records the mark, F, the insurance fund and the validators' fee
/// share (their global indices are deployment parameters) and, where the layout has them,
/// checks that each active slot's published encryption key is the one the owner registered
/// (`registerKey`), so the ciphertexts a block carries are readable by the account's owner,
/// and publishes each slot's ciphertext as an `OpeningPublished` event (key x, y, then the
/// four ciphertext elements follow each other in a slot, as in the batch circuit's encrypted
/// group; E.x, E.y are two consecutive inputs), so an owner recovers its state from the chain
/// alone.
/// `freezeAfter` is governed: changed by the committee's > 2/3 quorum like the cap.
contract Escape is Settlement {
    bytes32 public constant FREEZE_TAG = keccak256("darkmatch.settlement.freeze-after.v1");
    /// the BN254 scalar field: the exit statement's public inputs live in it
    uint256 public constant R_MOD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 public constant FUNDING_OFFSET = 1 << 47;     // the funding index is published + 2^47

    struct EscapeParams {
        IPlonkKeyVerifier exitVerifier;
        IPlonkKeyVerifier refusalVerifier;  // address(0): requests cannot be refused
        uint256 markIndex;          // global: the mark M
        uint256 fundingIndex;       // global: F + 2^47
        uint256 insuranceIndex;     // global: the fund after the block (NONE: none)
        uint256 feeIndex;           // global: the block's fee total (NONE: none)
        uint256 insuranceBpsIndex;  // global: the fund's share of fees, bps (NONE: none)
        uint256 keyBase;            // index of slot 0's key x (NONE: keys not published)
        uint256 keyStride;          // fields between two slots' keys
        uint256 blockKeyIndex;      // index of the block key's E.x, E.y next (NONE: no ciphertexts)
        uint256 marketIndex;        // global: the market id (the ciphertexts' nonce)
        uint256 freezeAfter;        // seconds
        uint256 mark;               // mark and F + 2^47 at genesis (before any block)
        uint256 funding;
        uint256 mmIndex;            // global: the maintenance margin in bps (NONE: use `mm`)
        uint256 mm;                 // the maintenance margin at genesis (bps)
        uint256[] keyXs;            // the genesis accounts' encryption keys, in Genesis.accounts
        uint256[] keyYs;            // order (empty: the owners register them)
    }

    IPlonkKeyVerifier public immutable exitVerifier;
    IPlonkKeyVerifier public immutable refusalVerifier;
    uint256 private immutable mmIndex_;
    uint256 private immutable markIndex_;
    uint256 private immutable fundingIndex_;
    uint256 private immutable insuranceIndex_;
    uint256 private immutable feeIndex_;
    uint256 private immutable insuranceBpsIndex_;
    uint256 private immutable keyBase_;
    uint256 private immutable keyStride_;
    uint256 private immutable blockKeyIndex_;
    uint256 private immutable marketIndex_;

    uint256 public freezeAfter;
    uint256 public lastMark;
    uint256 public lastFunding;     // F + 2^47, as the block published it
    uint256 public lastMm;          // the maintenance margin (bps) of the last block
    uint256 public insurance;
    uint256 public rewards;
    uint256 public frozenAt;

    mapping(uint256 => uint256) public requestedAt;       // 0: no forced withdrawal pending
    mapping(uint256 => uint256) public requestedAmount;
    mapping(uint256 => bool) public exited;
    mapping(uint256 => uint256) public keyX;
    mapping(uint256 => uint256) public keyY;

    event WithdrawalRequested(uint256 indexed account, uint256 amount, uint256 at);
    event WithdrawalServed(uint256 indexed account, uint256 amount, uint256 height);
    event WithdrawalRefused(uint256 indexed account, uint256 requested);
    event FrozenBy(uint256 indexed account, address by, uint256 at);
    event Exited(uint256 indexed account, address to, uint256 amount);
    event KeyRegistered(uint256 indexed account, uint256 x, uint256 y);
    event FreezeAfterChanged(uint256 govNonce, uint256 freezeAfter);
    /// @notice a block's encrypted opening of `account`: what its owner decrypts with a·E
    /// (nonce = height·2^16 + market), and the commitment it opens
    event OpeningPublished(uint256 indexed account, uint256 height, uint256 tweak, uint256 ex,
                           uint256 ey, uint256[4] ciphertext, uint256 commitment);

    error NotFrozen();
    error TooEarly(uint256 at);
    error AlreadyExited(uint256 account);
    error AlreadyRequested(uint256 account);
    error WrongKey(uint256 account);
    error NotRefusable(uint256 account);

    constructor(IPlonkKeyVerifier verifier_, IERC20Like token_, Layout memory l, Genesis memory g,
                EscapeParams memory e) Settlement(verifier_, token_, l, g) {
        if (e.markIndex >= l.nGlobals || e.fundingIndex >= l.nGlobals
            || (e.insuranceIndex != NONE && e.insuranceIndex >= l.nGlobals)
            || (e.feeIndex != NONE && e.feeIndex >= l.nGlobals)
            || (e.insuranceBpsIndex != NONE && e.insuranceBpsIndex >= l.nGlobals)
            || (e.feeIndex == NONE) != (e.insuranceBpsIndex == NONE)
            || (e.keyBase != NONE && e.keyBase + (l.nAccounts - 1) * e.keyStride + 1 >= nPublic)
            || (e.blockKeyIndex != NONE && (e.keyBase == NONE || e.blockKeyIndex + 1 >= nPublic
                || e.marketIndex >= l.nGlobals
                || e.keyBase + (l.nAccounts - 1) * e.keyStride + 5 >= nPublic))
            || (e.mmIndex != NONE && e.mmIndex >= l.nGlobals)
            || e.freezeAfter == 0) revert WrongLayout(0);
        exitVerifier = e.exitVerifier;
        refusalVerifier = e.refusalVerifier;
        mmIndex_ = e.mmIndex;
        lastMm = e.mm;
        markIndex_ = e.markIndex;
        fundingIndex_ = e.fundingIndex;
        insuranceIndex_ = e.insuranceIndex;
        feeIndex_ = e.feeIndex;
        insuranceBpsIndex_ = e.insuranceBpsIndex;
        keyBase_ = e.keyBase;
        keyStride_ = e.keyStride;
        blockKeyIndex_ = e.blockKeyIndex;
        marketIndex_ = e.marketIndex;
        freezeAfter = e.freezeAfter;
        lastMark = e.mark;
        lastFunding = e.funding;
        if (e.keyXs.length != e.keyYs.length
            || (e.keyXs.length != 0 && e.keyXs.length != g.accounts.length)) revert BadGenesis();
        for (uint256 i = 0; i < e.keyXs.length; i++) {
            keyX[g.accounts[i]] = e.keyXs[i];
            keyY[g.accounts[i]] = e.keyYs[i];
            emit KeyRegistered(g.accounts[i], e.keyXs[i], e.keyYs[i]);
        }
    }

    // ---------------------------------------------------------------- blocks

    function _settled(uint256[] calldata pub) internal override {
        lastMark = pub[markIndex_];
        lastFunding = pub[fundingIndex_];
        if (mmIndex_ != NONE) lastMm = pub[mmIndex_];
        if (insuranceIndex_ != NONE) insurance = pub[insuranceIndex_];
        if (feeIndex_ != NONE) {
            uint256 fee = pub[feeIndex_];
            rewards += fee - fee * pub[insuranceBpsIndex_] / 10000;
        }
    }

    function _slotSettled(uint256[] calldata pub, uint256 k, uint256 id, uint256 withdrawn)
        internal override
    {
        if (keyBase_ != NONE) {
            uint256 at = keyBase_ + k * keyStride_;
            if (pub[at] != keyX[id] || pub[at + 1] != keyY[id]) revert WrongKey(id);
            if (blockKeyIndex_ != NONE) _publishOpening(pub, at, id);
        }
        if (requestedAt[id] != 0 && withdrawn >= requestedAmount[id]) {
            emit WithdrawalServed(id, withdrawn, height + 1);
            delete requestedAt[id];
            delete requestedAmount[id];
        }
    }

    function _publishOpening(uint256[] calldata pub, uint256 at, uint256 id) private {
        uint256[4] memory c = [pub[at + 2], pub[at + 3], pub[at + 4], pub[at + 5]];
        emit OpeningPublished(id, height + 1, ((height + 1) << 16) | pub[marketIndex_],
                              pub[blockKeyIndex_], pub[blockKeyIndex_ + 1], c, commitmentOf[id]);
    }

    // ---------------------------------------------------------------- keys and requests

    /// @notice The owner registers the Baby Jubjub key its account's openings are encrypted to.
    function registerKey(uint256 account, uint256 x, uint256 y) external {
        if (msg.sender != ownerOf[account]) revert NotOwner(account);
        keyX[account] = x;
        keyY[account] = y;
        emit KeyRegistered(account, x, y);
    }

    /// @notice The owner asks, on-chain, that a block withdraw `amount` from its account.
    function requestWithdrawal(uint256 account, uint256 amount) external {
        if (frozen) revert Frozen();
        if (msg.sender != ownerOf[account]) revert NotOwner(account);
        if (amount == 0 || amount > MAX_AMOUNT) revert BadAmount();
        if (requestedAt[account] != 0) revert AlreadyRequested(account);
        requestedAt[account] = block.timestamp;
        requestedAmount[account] = amount;
        emit WithdrawalRequested(account, amount, block.timestamp);
    }

    /// @notice The refusal statement's public inputs for `account`'s pending request, bound to
    /// this chain and this contract.
    function refusalInputs(uint256 account) public view returns (uint256[] memory pub) {
        pub = new uint256[](8);
        pub[0] = account;
        pub[1] = commitmentOf[account];
        pub[2] = lastMark;
        pub[3] = fundingField();
        pub[4] = lastMm;
        pub[5] = requestedAmount[account];
        pub[6] = block.chainid;
        pub[7] = uint256(uint160(address(this)));
    }

    /// @notice Cancel `account`'s pending request, proven unservable at the last mark (see the
    /// contract's notice). The owner may ask again, e.g. for less or after the mark moved.
    function refuseWithdrawal(uint256 account, uint256[24] calldata proof) external {
        if (frozen) revert Frozen();
        if (requestedAt[account] == 0 || address(refusalVerifier) == address(0))
            revert NotRefusable(account);
        if (!refusalVerifier.verifyProof(proof, refusalInputs(account))) revert BadProof();
        uint256 asked = requestedAmount[account];
        delete requestedAt[account];
        delete requestedAmount[account];
        emit WithdrawalRefused(account, asked);
    }

    /// @notice Freeze: `account`'s request has waited `freezeAfter` seconds unserved, or no block
    /// has settled for `freezeAfter` seconds (then any `account` will do).
    function freeze(uint256 account) external {
        if (frozen) revert Frozen();
        uint256 stalledAt = lastSettledAt + freezeAfter;
        uint256 req = requestedAt[account];
        uint256 censoredAt = req == 0 ? type(uint256).max : req + freezeAfter;
        uint256 at = stalledAt < censoredAt ? stalledAt : censoredAt;
        if (block.timestamp < at) revert TooEarly(at);
        frozen = true;
        frozenAt = block.timestamp;
        emit FrozenBy(account, msg.sender, block.timestamp);
    }

    function freezeAfterChangeHash(uint256 seconds_) public view returns (bytes32) {
        return keccak256(abi.encode(FREEZE_TAG, ledgerId, govNonce, seconds_));
    }

    /// @notice Change the governed freeze time, by the committee's quorum.
    function changeFreezeAfter(uint256 seconds_, bytes calldata signatures) external {
        if (seconds_ == 0) revert BadAmount();
        _requireQuorum(freezeAfterChangeHash(seconds_), signatures);
        freezeAfter = seconds_;
        govNonce++;
        emit FreezeAfterChanged(govNonce, seconds_);
    }

    // ---------------------------------------------------------------- exits

    /// @notice F mod r: the last funding index as the exit statement takes it.
    function fundingField() public view returns (uint256) {
        uint256 f = lastFunding;
        return f >= FUNDING_OFFSET ? f - FUNDING_OFFSET : R_MOD - (FUNDING_OFFSET - f);
    }

    /// @notice The exit statement's public inputs for `account` claiming `amount`, bound to this
    /// chain and this contract.
    function exitInputs(uint256 account, uint256 amount) public view returns (uint256[] memory pub) {
        pub = new uint256[](8);
        pub[0] = account;
        pub[1] = commitmentOf[account];
        pub[2] = lastMark;
        pub[3] = fundingField();
        pub[4] = amount;
        pub[5] = uint256(uint160(ownerOf[account]));
        pub[6] = block.chainid;
        pub[7] = uint256(uint160(address(this)));
    }

    /// @notice On a frozen contract, pay `account`'s owner its equity at the last mark, proven.
    function exit(uint256 account, uint256 amount, uint256[24] calldata proof) external {
        if (!frozen) revert NotFrozen();
        if (exited[account]) revert AlreadyExited(account);
        if (commitmentOf[account] == 0) revert UnknownAccount(account);
        if (!exitVerifier.verifyProof(proof, exitInputs(account, amount))) revert BadProof();
        exited[account] = true;
        if (owed + amount > collateral) revert Insolvent(owed + amount, collateral);
        collateral -= amount;
        address to = ownerOf[account];
        if (amount != 0) _call(abi.encodeCall(IERC20Like.transfer, (to, amount)));
        emit Exited(account, to, amount);
    }
}
