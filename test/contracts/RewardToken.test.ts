import { loadFixture, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';

const NAME = 'dhost Reward Token';
const INITIAL_SUPPLY = 1_000_000n * 10n ** 18n;
const MINTER_ROLE = ethers.id('MINTER_ROLE');

describe('RewardToken', () => {
  async function deployTokenFixture() {
    const [admin, holder, alice, bob] = await ethers.getSigners();
    const factory = await ethers.getContractFactory('RewardToken');
    const token = await factory.deploy(admin.address, holder.address, INITIAL_SUPPLY);
    return { token, factory, admin, holder, alice, bob };
  }

  describe('when deployed', () => {
    it('has the dhost name, symbol and 18 decimals', async () => {
      const { token } = await loadFixture(deployTokenFixture);
      expect(await token.name()).to.equal(NAME);
      expect(await token.symbol()).to.equal('DHOST');
      expect(await token.decimals()).to.equal(18n);
    });

    it('mints the whole initial supply to the initial holder', async () => {
      const { token, admin, holder } = await loadFixture(deployTokenFixture);
      expect(await token.totalSupply()).to.equal(INITIAL_SUPPLY);
      expect(await token.balanceOf(holder.address)).to.equal(INITIAL_SUPPLY);
      expect(await token.balanceOf(admin.address)).to.equal(0n);
    });

    it('gives the admin DEFAULT_ADMIN_ROLE and nobody MINTER_ROLE', async () => {
      const { token, admin, holder } = await loadFixture(deployTokenFixture);
      expect(await token.MINTER_ROLE()).to.equal(MINTER_ROLE);
      expect(await token.hasRole(await token.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await token.hasRole(MINTER_ROLE, admin.address)).to.equal(false);
      expect(await token.hasRole(MINTER_ROLE, holder.address)).to.equal(false);
    });

    it('accepts an initial supply of zero', async () => {
      const { factory, admin, holder } = await loadFixture(deployTokenFixture);
      const token = await factory.deploy(admin.address, holder.address, 0n);
      expect(await token.totalSupply()).to.equal(0n);
    });

    it('reverts when the admin is the zero address', async () => {
      const { factory, holder } = await loadFixture(deployTokenFixture);
      await expect(factory.deploy(ethers.ZeroAddress, holder.address, INITIAL_SUPPLY))
        .to.be.revertedWithCustomError(factory, 'RewardTokenInvalidAdmin')
        .withArgs(ethers.ZeroAddress);
    });

    it('reverts when the initial holder is the zero address', async () => {
      const { factory, admin } = await loadFixture(deployTokenFixture);
      await expect(factory.deploy(admin.address, ethers.ZeroAddress, INITIAL_SUPPLY))
        .to.be.revertedWithCustomError(factory, 'ERC20InvalidReceiver')
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe('mint', () => {
    describe('when the caller has MINTER_ROLE', () => {
      async function minterFixture() {
        const base = await deployTokenFixture();
        await base.token.connect(base.admin).grantRole(MINTER_ROLE, base.alice.address);
        return base;
      }

      it('creates new tokens for the receiver', async () => {
        const { token, alice, bob } = await loadFixture(minterFixture);
        await expect(token.connect(alice).mint(bob.address, 5n)).to.changeTokenBalance(token, bob, 5n);
        expect(await token.totalSupply()).to.equal(INITIAL_SUPPLY + 5n);
      });

      it('emits Transfer from the zero address', async () => {
        const { token, alice, bob } = await loadFixture(minterFixture);
        await expect(token.connect(alice).mint(bob.address, 5n)).to.emit(token, 'Transfer').withArgs(ethers.ZeroAddress, bob.address, 5n);
      });

      it('reverts when the receiver is the zero address', async () => {
        const { token, alice } = await loadFixture(minterFixture);
        await expect(token.connect(alice).mint(ethers.ZeroAddress, 5n))
          .to.be.revertedWithCustomError(token, 'ERC20InvalidReceiver')
          .withArgs(ethers.ZeroAddress);
      });

      it('reverts once the admin revoked the role', async () => {
        const { token, admin, alice, bob } = await loadFixture(minterFixture);
        await token.connect(admin).revokeRole(MINTER_ROLE, alice.address);
        await expect(token.connect(alice).mint(bob.address, 5n))
          .to.be.revertedWithCustomError(token, 'AccessControlUnauthorizedAccount')
          .withArgs(alice.address, MINTER_ROLE);
      });
    });

    describe('when the caller lacks MINTER_ROLE', () => {
      it('reverts for an ordinary account', async () => {
        const { token, alice, bob } = await loadFixture(deployTokenFixture);
        await expect(token.connect(alice).mint(bob.address, 5n))
          .to.be.revertedWithCustomError(token, 'AccessControlUnauthorizedAccount')
          .withArgs(alice.address, MINTER_ROLE);
      });

      it('reverts for the admin too, until it grants itself the role', async () => {
        const { token, admin, bob } = await loadFixture(deployTokenFixture);
        await expect(token.connect(admin).mint(bob.address, 5n))
          .to.be.revertedWithCustomError(token, 'AccessControlUnauthorizedAccount')
          .withArgs(admin.address, MINTER_ROLE);
      });
    });

    it('only the admin can grant MINTER_ROLE', async () => {
      const { token, alice } = await loadFixture(deployTokenFixture);
      await expect(token.connect(alice).grantRole(MINTER_ROLE, alice.address))
        .to.be.revertedWithCustomError(token, 'AccessControlUnauthorizedAccount')
        .withArgs(alice.address, await token.DEFAULT_ADMIN_ROLE());
    });
  });

  describe('permit (EIP-2612)', () => {
    const VALUE = 1_000n;

    async function signPermit(
      token: Awaited<ReturnType<typeof deployTokenFixture>>['token'],
      signer: Awaited<ReturnType<typeof deployTokenFixture>>['holder'],
      params: { owner: string; spender: string; value: bigint; nonce: bigint; deadline: bigint },
    ) {
      const { chainId } = await ethers.provider.getNetwork();
      const domain = { name: NAME, version: '1', chainId, verifyingContract: await token.getAddress() };
      const types = {
        Permit: [
          { name: 'owner', type: 'address' },
          { name: 'spender', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'nonce', type: 'uint256' },
          { name: 'deadline', type: 'uint256' },
        ],
      };
      return ethers.Signature.from(await signer.signTypedData(domain, types, params));
    }

    async function permitFixture() {
      const base = await deployTokenFixture();
      const deadline = BigInt(await time.latest()) + 3600n;
      const params = { owner: base.holder.address, spender: base.alice.address, value: VALUE, nonce: 0n, deadline };
      const signature = await signPermit(base.token, base.holder, params);
      return { ...base, params, signature };
    }

    it('uses the EIP-712 domain of the token name, version 1 and this chain', async () => {
      const { token } = await loadFixture(deployTokenFixture);
      const { chainId } = await ethers.provider.getNetwork();
      const expected = ethers.TypedDataEncoder.hashDomain({ name: NAME, version: '1', chainId, verifyingContract: await token.getAddress() });
      expect(await token.DOMAIN_SEPARATOR()).to.equal(expected);
    });

    describe('when the owner signed a valid permit', () => {
      it('sets the allowance and consumes the nonce, whoever submits it', async () => {
        const { token, holder, alice, bob, params, signature } = await loadFixture(permitFixture);
        await expect(token.connect(bob).permit(params.owner, params.spender, params.value, params.deadline, signature.v, signature.r, signature.s))
          .to.emit(token, 'Approval')
          .withArgs(holder.address, alice.address, VALUE);
        expect(await token.allowance(holder.address, alice.address)).to.equal(VALUE);
        expect(await token.nonces(holder.address)).to.equal(1n);
      });

      it('lets the spender transfer the permitted amount', async () => {
        const { token, holder, alice, bob, params, signature } = await loadFixture(permitFixture);
        await token.permit(params.owner, params.spender, params.value, params.deadline, signature.v, signature.r, signature.s);
        await expect(token.connect(alice).transferFrom(holder.address, bob.address, VALUE)).to.changeTokenBalances(token, [holder, bob], [-VALUE, VALUE]);
      });

      it('reverts when the permit is submitted a second time', async () => {
        const { token, params, signature } = await loadFixture(permitFixture);
        await token.permit(params.owner, params.spender, params.value, params.deadline, signature.v, signature.r, signature.s);
        // The nonce moved on, so the same signature now recovers to some other address.
        await expect(
          token.permit(params.owner, params.spender, params.value, params.deadline, signature.v, signature.r, signature.s),
        ).to.be.revertedWithCustomError(token, 'ERC2612InvalidSigner');
      });
    });

    it('reverts when the deadline has passed', async () => {
      const { token, params, signature } = await loadFixture(permitFixture);
      await time.increaseTo(params.deadline + 1n);
      await expect(token.permit(params.owner, params.spender, params.value, params.deadline, signature.v, signature.r, signature.s))
        .to.be.revertedWithCustomError(token, 'ERC2612ExpiredSignature')
        .withArgs(params.deadline);
    });

    it('reverts when someone other than the owner signed', async () => {
      const { token, bob, params } = await loadFixture(permitFixture);
      const forged = await signPermit(token, bob, params);
      await expect(token.permit(params.owner, params.spender, params.value, params.deadline, forged.v, forged.r, forged.s))
        .to.be.revertedWithCustomError(token, 'ERC2612InvalidSigner')
        .withArgs(bob.address, params.owner);
    });

    it('reverts when the value differs from the signed one', async () => {
      const { token, params, signature } = await loadFixture(permitFixture);
      await expect(
        token.permit(params.owner, params.spender, params.value + 1n, params.deadline, signature.v, signature.r, signature.s),
      ).to.be.revertedWithCustomError(token, 'ERC2612InvalidSigner');
    });
  });
});
